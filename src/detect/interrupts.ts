/** One numbered line of /proc/interrupts. */
export interface InterruptLine {
  irq: number;
  /** Per-CPU counts, in the order of the header's CPU columns. */
  counts: number[];
  /** Handler names at the end of the line ("virtio1-req.0"; shared lines list several). */
  names: string[];
}

export interface InterruptTable {
  /** CPU numbers of the count columns (only online CPUs have a column). */
  cpus: number[];
  lines: InterruptLine[];
}

/**
 * Parse /proc/interrupts. After the counts come the chip, the hardware IRQ, usually a trigger
 * ("1-edge", "Edge", "fasteoi") and then the handler names, comma-separated when shared.
 */
export function parseInterrupts(text: string): InterruptTable {
  const [header = '', ...rest] = text.split('\n');
  const cpus = header
    .trim()
    .split(/\s+/)
    .map((h) => /^CPU(\d+)$/.exec(h))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
  const lines: InterruptLine[] = [];
  for (const raw of rest) {
    const m = /^\s*(\d+):(.*)$/.exec(raw);
    if (!m) continue;
    const tokens = m[2]!.trim().split(/\s+/);
    const counts = tokens.slice(0, cpus.length).map(Number);
    if (counts.some((c) => !Number.isFinite(c))) continue;
    lines.push({ irq: Number(m[1]), counts, names: handlerNames(tokens.slice(cpus.length)) });
  }
  return { cpus, lines };
}

const TRIGGER = /(^|-)(edge|level|fasteoi|simple)$/i;

function handlerNames(desc: string[]): string[] {
  let start = -1;
  for (let i = desc.length - 1; i >= 0; i--) {
    if (TRIGGER.test(desc[i]!)) {
      start = i + 1;
      break;
    }
  }
  // Without a trigger token, only the last word is a safe guess.
  const tail = start < 0 ? desc.slice(-1) : desc.slice(start);
  return tail
    .join(' ')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
}

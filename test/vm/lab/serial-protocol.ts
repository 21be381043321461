/**
 * The lab's line protocol over the guest's serial console (stdin/stdout of qemu).
 *
 * host → guest, one line each, base64 of a shell script cut into chunks:
 *   C <id> <chunk>      more to come; the guest answers `@@NVP-ACK <id>@@` (flow control: a
 *                       tty drops input it has no room for, so the host sends one chunk at a time)
 *   R <id> <chunk>      last chunk: run the script (sh, cwd = nvprobe's dir, stdin /dev/null)
 *   Q                   power off
 * guest → host:
 *   @@NVP-READY@@ once, then per command
 *   @@NVP-BEGIN <id>@@ <base64 stdout lines> @@NVP-STDERR <id>@@ <base64 stderr lines>
 *   @@NVP-END <id> rc=<exit code> out=<bytes> err=<bytes>@@
 * Anything else on the console (kernel messages) is kept in the log and otherwise ignored; the
 * byte counts catch a frame that such noise corrupted.
 */
export const MARK = {
  ready: '@@NVP-READY@@',
  ack: '@@NVP-ACK',
  begin: '@@NVP-BEGIN',
  stderr: '@@NVP-STDERR',
  end: '@@NVP-END',
  initError: '@@NVP-INIT-ERROR',
  protocolError: '@@NVP-PROTOCOL-ERROR',
} as const;

/** Base64 characters per line sent to the guest: well under the tty's 4095-byte line limit. */
const CHUNK = 1024;

/** The lines (without newline) that send `script` as command `id`. */
export function encodeCommand(id: string, script: string): string[] {
  if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new Error(`bad command id ${JSON.stringify(id)}`);
  const b64 = Buffer.from(script, 'utf8').toString('base64');
  const chunks: string[] = [];
  for (let i = 0; i < b64.length; i += CHUNK) chunks.push(b64.slice(i, i + CHUNK));
  if (chunks.length === 0) chunks.push('');
  return chunks.map((c, i) => `${i === chunks.length - 1 ? 'R' : 'C'} ${id} ${c}`);
}

export interface CommandOutput {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export type ConsoleEvent =
  | { kind: 'ready' }
  | { kind: 'ack'; id: string }
  | { kind: 'result'; id: string; output: CommandOutput }
  | { kind: 'init-error'; message: string }
  /** The kernel's own "reboot: Restarting system" (pr_emerg, so it passes printk level 1): a reboot, not a crash or power-off. */
  | { kind: 'restart' }
  | { kind: 'protocol-error'; message: string };

const BASE64_LINE = /^[A-Za-z0-9+/]+=*$/;
const RE = {
  ack: /@@NVP-ACK (\S+)@@/,
  begin: /@@NVP-BEGIN (\S+)@@/,
  stderr: /@@NVP-STDERR (\S+)@@/,
  end: /@@NVP-END (\S+) rc=(\d+) out=\s*(\d+) err=\s*(\d+)@@/,
  initError: /@@NVP-INIT-ERROR (.*)@@/,
  protocolError: /@@NVP-PROTOCOL-ERROR (.*)@@/,
};

const KERNEL_RESTART = /^(\[[\s\d.]+\] )?reboot: Restarting system$/;

/** Turns the console byte stream into protocol events, keeping a bounded log for diagnostics. */
export class ConsoleDecoder {
  private partial = '';
  private frame: { id: string; part: 'stdout' | 'stderr'; stdout: string[]; stderr: string[] } | undefined;
  private logLines: string[] = [];

  constructor(private readonly maxLogLines = 2000) {}

  push(chunk: string): ConsoleEvent[] {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop()!;
    const events: ConsoleEvent[] = [];
    for (const raw of lines) {
      const e = this.line(raw.replace(/\r/g, ''));
      if (e) events.push(e);
    }
    return events;
  }

  /** The console's recent lines (command output frames abbreviated). */
  log(lastLines = 80): string {
    return [...this.logLines, this.partial].slice(-lastLines).join('\n');
  }

  private line(line: string): ConsoleEvent | undefined {
    if (KERNEL_RESTART.test(line)) {
      this.remember(line);
      return { kind: 'restart' };
    }
    const f = this.frame;
    if (f) {
      if (BASE64_LINE.test(line)) {
        f[f.part].push(line);
        return undefined;
      }
      const err = RE.stderr.exec(line);
      if (err && err[1] === f.id) {
        f.part = 'stderr';
        return undefined;
      }
      const end = RE.end.exec(line);
      if (end && end[1] === f.id) {
        this.frame = undefined;
        this.remember(`${line} (decoded)`);
        return this.finish(f.id, f.stdout, f.stderr, Number(end[2]), Number(end[3]), Number(end[4]));
      }
      this.remember(line); // noise inside a frame: kernel messages
      return undefined;
    }
    this.remember(line);
    if (line.includes(MARK.ready)) return { kind: 'ready' };
    let m: RegExpExecArray | null;
    if ((m = RE.ack.exec(line))) return { kind: 'ack', id: m[1]! };
    if ((m = RE.begin.exec(line))) {
      this.frame = { id: m[1]!, part: 'stdout', stdout: [], stderr: [] };
      return undefined;
    }
    if ((m = RE.initError.exec(line))) return { kind: 'init-error', message: m[1]! };
    if ((m = RE.protocolError.exec(line))) return { kind: 'protocol-error', message: `guest did not understand verb ${m[1]}` };
    return undefined;
  }

  private finish(id: string, out: string[], err: string[], exitCode: number, outBytes: number, errBytes: number): ConsoleEvent {
    // Line by line: each wrapped line is whole base64 quads, and a stray line then adds bytes
    // the count reveals (joined, Node would stop quietly at the first '=' padding instead).
    const decode = (lines: string[]) => Buffer.concat(lines.map((l) => Buffer.from(l, 'base64')));
    const stdout = decode(out);
    const stderr = decode(err);
    if (stdout.length !== outBytes || stderr.length !== errBytes) {
      return {
        kind: 'protocol-error',
        message: `command ${id}: decoded ${stdout.length}/${stderr.length} bytes of stdout/stderr, guest sent ${outBytes}/${errBytes}`,
      };
    }
    return { kind: 'result', id, output: { stdout, stderr, exitCode } };
  }

  private remember(line: string): void {
    this.logLines.push(line);
    if (this.logLines.length > this.maxLogLines) this.logLines.splice(0, this.logLines.length - this.maxLogLines);
  }
}

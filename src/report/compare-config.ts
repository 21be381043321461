import type { ConfigDifference } from '../contracts/compare-document.js';
import type { DiskInfo } from '../contracts/detect-disks.js';
import { fmtBytes } from './format.js';
import { DISK_PRESENCE, type MachineFacts, RANKING } from './compare-ranking.js';
import type { ReportModel } from './report-model.js';

export type SideName = 'A' | 'B';

/** The configuration differences of two inputs, ranked (compare-ranking.ts), and what could not be compared. */
export function compareConfiguration(a: ReportModel, b: ReportModel): { differences: ConfigDifference[]; unknown: string[] } {
  const facts = { A: machineFacts(a), B: machineFacts(b) };
  const pairs = diskPairs(a, b);
  const differences: ConfigDifference[] = [];
  const known: Record<SideName, string[]> = { A: [], B: [] };
  for (const [i, entry] of RANKING.entries()) {
    const add = (where: { subject: string | null; concerns: ConfigDifference['concerns'] }, x: Record<string, string>, y: Record<string, string>) => {
      // Own keys only: names come from the inputs (module parameters), and "toString" is no parameter of Object's.
      const names = entry.bothOnly ? Object.keys(x).filter((n) => Object.hasOwn(y, n)) : [...new Set([...Object.keys(x), ...Object.keys(y)])];
      for (const name of names.sort()) {
        const va = String((Object.hasOwn(x, name) ? x[name] : undefined) ?? entry.unset ?? '-');
        const vb = String((Object.hasOwn(y, name) ? y[name] : undefined) ?? entry.unset ?? '-');
        if (va !== vb) differences.push({ rank: i + 1, key: entry.key, label: name ? `${entry.label} ${name}` : entry.label, ...where, a: va, b: vb, why: entry.why, acts: entry.acts });
      }
    };
    if (entry.scope === 'machine') {
      const x = entry.read(facts.A);
      const y = entry.read(facts.B);
      if (x) known.A.push(KNOWN_WORDS[entry.key] ?? `its ${entry.label}`);
      if (y) known.B.push(KNOWN_WORDS[entry.key] ?? `its ${entry.label}`);
      if (x && y) add({ subject: null, concerns: 'machine' }, x, y);
    } else {
      for (const p of pairs) {
        const x = p.a && entry.read(p.a);
        const y = p.b && entry.read(p.b);
        if (x && y) add(p, x, y);
      }
    }
  }
  for (const p of pairs) {
    if (p.a && p.b) continue;
    differences.push({
      rank: RANKING.length + 1,
      key: DISK_PRESENCE.key,
      label: DISK_PRESENCE.label,
      subject: p.subject,
      concerns: p.concerns,
      a: p.a && diskWords(p.a),
      b: p.b && diskWords(p.b),
      why: DISK_PRESENCE.why,
      acts: DISK_PRESENCE.acts,
    });
  }
  const unknown = (['A', 'B'] as const).flatMap((side) => {
    const m = side === 'A' ? a : b;
    if (m.snapshot) return [];
    const list = [...new Set(known[side])];
    const only = list.length ? `only ${list.length > 1 ? `${list.slice(0, -1).join(', ')} and ${list.at(-1)}` : list[0]} can be compared` : 'none of it can be compared';
    return [`${side} is ${inputWords(m)} without a snapshot of its configuration: ${only} (a bundle has the rest)`];
  });
  return { differences, unknown };
}

/** What a side without a snapshot still says about itself, in words. */
const KNOWN_WORDS: Record<string, string> = {
  target: 'what it measured',
  blockSize: 'its block size',
  'kernel.release': 'its kernel release',
  engine: 'its engine',
  polled: 'whether its reads polled',
};

/** What a side says about its machine: the snapshot, and the probe's (else the run's) kernel and engine. */
export function machineFacts(m: ReportModel): MachineFacts {
  const engine = m.probe?.engine ?? m.run?.engine ?? null;
  const target = m.probe?.target ?? m.run?.target ?? null;
  return {
    snapshot: m.snapshot,
    kernelRelease: m.snapshot?.kernel.release ?? m.probe?.kernel?.release ?? null,
    engine: engine ? { name: engine.name, polled: engine.polled.polled } : null,
    target: target ? { disk: target.disk ?? null, kind: target.kind } : null,
    // A probe's engine says its block size; tune always reads 4 KiB blocks (tune/tune-run.ts).
    blockSize: m.probe ? (m.probe.engine?.blockSize ?? null) : m.run ? 4096 : null,
  };
}

/** The input in words: "a probe document", "a saved tune run", "a bundle without detect.json" (the member it lacks). */
export function inputWords(m: ReportModel, member = 'detect.json'): string {
  return m.sourceKind === 'probe' ? 'a probe document' : m.sourceKind === 'run' ? 'a saved tune run' : `a bundle without ${member}`;
}

/** The disk whose reads a side measured: the probe's (else the run's) target disk, else the root filesystem's. */
export function measuredDisk(m: ReportModel): string | null {
  return m.probe?.target?.disk ?? m.run?.target?.disk ?? m.snapshot?.rootFs?.disk ?? null;
}

interface DiskPair {
  subject: string;
  concerns: 'measured-disk' | 'other-disk';
  a: DiskInfo | null;
  b: DiskInfo | null;
}

/**
 * Which disk of A to compare with which of B: the measured disks first (under their names, even
 * when they differ: vda on one guest may be nvme0n1 on the other), then every disk by name. Disks
 * with nothing behind them (an unbound loop, an empty zram) are left out, as in the disk table.
 */
function diskPairs(a: ReportModel, b: ReportModel): DiskPair[] {
  if (!a.snapshot || !b.snapshot) return [];
  const disks = (m: ReportModel) => new Map(m.snapshot!.disks.filter((d) => !d.vanished && (d.sizeBytes !== 0 || d.rootFs !== null)).map((d) => [d.name, d]));
  const da = disks(a);
  const db = disks(b);
  const ma = measuredDisk(a);
  const mb = measuredDisk(b);
  const pairs: DiskPair[] = [];
  if (ma && mb && ma !== mb && da.has(ma) && db.has(mb)) pairs.push({ subject: `${ma} ↔ ${mb} (the measured disks)`, concerns: 'measured-disk', a: da.get(ma)!, b: db.get(mb)! });
  const names = [...new Set([...da.keys(), ...db.keys()])].sort((x, y) => x.localeCompare(y, 'en', { numeric: true }));
  // The measured disk (the same name on both sides) first.
  if (ma && ma === mb) names.sort((x, y) => Number(y === ma) - Number(x === ma));
  for (const name of names) {
    const marks = [ma === name ? 'A' : null, mb === name ? 'B' : null].filter(Boolean);
    const suffix = marks.length === 2 ? ' (measured)' : marks.length === 1 ? ` (measured in ${marks[0]})` : '';
    pairs.push({ subject: `${name}${suffix}`, concerns: marks.length ? 'measured-disk' : 'other-disk', a: da.get(name) ?? null, b: db.get(name) ?? null });
  }
  return pairs;
}

function diskWords(d: DiskInfo): string {
  return `${d.transport}${d.sizeBytes === null ? '' : `, ${fmtBytes(d.sizeBytes)}`}`;
}

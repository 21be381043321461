import type { Root } from '../host/root.js';
import { readRuns } from '../host/run-store.js';
import { checkedStateDir } from '../host/state-dir-check.js';
import { readTuningStateIfReadable } from '../tune/tuning-state.js';
import type { Verdict } from '../contracts/boot-verdict.js';
import type { Figures, SessionResult } from '../contracts/tune-session.js';

/**
 * What a fleet dashboard needs to know about tuning on this machine, read from the state dir by
 * the reader `nvprobe status` uses (tune/tuning-state.ts): the changes in effect (by live state),
 * a verification armed by `tune --persist` and whether its reboot is still owed, the last
 * verification's verdict, and when the latest tune run started.
 */
export interface TuneState {
  changes: { applied: number; drifted: number; unknown: number };
  pending: { verificationArmed: boolean; rebootRequired: boolean } | null;
  lastVerdict: Verdict | null;
  /** createdAt of the newest saved run, seconds since the epoch; null when none is saved. */
  lastRunAt: number | null;
  /** The newest saved run that measured: its result (final against original, interleaved at its end) and its decisions. */
  lastRun: LastRun | null;
}

export interface LastRun {
  /** p50 µs of the original settings and of the final ones, from the run's closing interleaved blocks. */
  p50OriginalUs: number;
  p50FinalUs: number;
  /** Final over original with its interval; null when nothing was kept (the same settings twice). */
  final: { ratio: number; lower: number | null; upper: number | null } | null;
  /** How many changes ended in each outcome (gain, no-gain, slower, too-noisy, prerequisite, skipped). */
  outcomes: Record<string, number>;
  /** The price of each: the vCPUs' busy share during the reads, the idle polling share (a share of a vCPU); null: not measured. */
  price: Record<'original' | 'final', { busyShare: number | null; idlePollShare: number | null; cpuPerReadUs: number | null }>;
}

/** The result of a saved run (parsed JSON, any version): null when it measured nothing. */
export function lastRunOf(doc: unknown): LastRun | null {
  const r = (doc as { result?: Partial<SessionResult> | null })?.result;
  if (!r?.before || !r.after || !Array.isArray(r.changes)) return null;
  const outcomes: Record<string, number> = {};
  for (const c of r.changes) {
    const o = c.decision === 'skipped' ? 'skipped' : (c.evidence?.outcome ?? (c.decision === 'kept' ? 'gain' : 'no-gain'));
    outcomes[o] = (outcomes[o] ?? 0) + 1;
  }
  const f = r.final;
  return {
    p50OriginalUs: r.before.p50Us,
    p50FinalUs: r.after.p50Us,
    final: f ? { ratio: f.ratio, lower: f.interval[0], upper: f.interval[1] } : null,
    outcomes,
    price: { original: priceOf(r.before), final: priceOf(r.after) },
  };
}

function priceOf(f: Figures): LastRun['price']['original'] {
  const per = f.cpu?.perReadUs;
  return { busyShare: f.cpu?.busyShare ?? null, idlePollShare: f.idlePollShare ?? null, cpuPerReadUs: per ? per.user + per.system : null };
}

/**
 * The state dir (`--state-dir`, else NVPROBE_STATE_DIR, else /var/lib/nvprobe): a named one that
 * does not exist is bad input (exit 2, before measuring); the default missing, or a state dir this
 * user cannot read, means no tuning state: null, and the families are left out.
 */
export function stateDirForMetrics(override: string | undefined): string {
  return checkedStateDir(override, 'collect');
}

/** The metrics' view of the tuning state (tune/tuning-state.ts), with the saved runs' newest start and result. */
export function readTuneState(root: Root, dir: string): TuneState | null {
  const state = readTuningStateIfReadable(root, dir);
  if (state === null) return null;
  const changes = { applied: 0, drifted: 0, unknown: 0 };
  for (const e of state.entries) changes[e.state]++;
  let lastRunAt: number | null = null;
  let lastRun: LastRun | null = null;
  let lastMeasuredAt = -Infinity;
  for (const doc of readRuns(dir)) {
    const at = Date.parse((doc as { createdAt?: unknown })?.createdAt as string);
    if (Number.isFinite(at) && (lastRunAt === null || at / 1000 > lastRunAt)) lastRunAt = at / 1000;
    const measured = Number.isFinite(at) && at > lastMeasuredAt ? lastRunOf(doc) : null;
    if (measured) {
      lastRun = measured;
      lastMeasuredAt = at;
    }
  }
  return { changes, pending: state.pending, lastVerdict: state.lastVerdict, lastRunAt, lastRun };
}

import type { HistogramJson } from './latency-stats.js';
import type { KernelClockReport } from './probe-kernel-clock.js';
import type { Block, Evidence, GridChoice, GridPoint, NoiseFloor, RoundFigures } from './tune-evidence.js';
import type { CpuCost } from './cpu-cost.js';
import type { PlannedChange } from './tune-plan.js';

// A tune run's result: each change's decision and the final comparison. The Ansible role reads changes[].decision and .target.

export interface SessionResult {
  /** The original settings and the final ones, from the same interleaved blocks at the end (the noise floor's two arms when nothing was kept). */
  before: Figures;
  after: Figures;
  histograms: { before: HistogramJson; after: HistogramJson };
  changes: ChangeResult[];
  kept: PlannedChange[];
  partial: boolean;
  stopReason: string | null;
  elapsedMs: number;
  noise?: NoiseFloor;
  /** Null when nothing was kept: before and after are the same settings. */
  final?: FinalComparison | null;
  /** The rule every decision applied. */
  rule?: { minGain: number; falseKeepRate: number; looks: number[]; alphaPerLook: number };
  /**
   * One traced measurement of the original and one of the final state, back to back at the end,
   * on the kernel's clock: per-phase figures (submit, device and host, completion → return).
   * Absent when tracing was off.
   */
  kernelClock?: { before: KernelClockReport; after: KernelClockReport };
}

export interface Figures extends RoundFigures {
  /** Share of CPU time spent in the POLL idle state over an idle window; null where unknown. */
  idlePollShare: number | null;
  /** What this arm's reads cost in CPU (all its rounds together); null or absent: not read. */
  cpu?: CpuCost | null;
}

export interface ChangeResult {
  findingId: string;
  title: string;
  target: string;
  from: Array<string | null>;
  to: string | number | null;
  decision: 'kept' | 'reverted' | 'skipped';
  reason: string;
  /** The estimated p50 ratio with the change over without (Hodges–Lehmann over the blocks); null: not measured. */
  medianRatio: number | null;
  /** The decision's evidence: outcome, estimate and interval, blocks and looks; null: not measured. */
  evidence?: Evidence | null;
  /** The randomly ordered ABBA/BAAB blocks the decision rests on. */
  blocks?: Block[];
  /** Runs saved before blocks (schema 1, A/B pairs): read, never written. */
  pairs?: Array<{ a: RoundFigures; b: RoundFigures; ratio: number }>;
  grid?: GridPoint[];
  /** How the grid's value was chosen (tolerance, cost measure, cap, values over it). */
  gridChoice?: GridChoice;
  /** Idle polling share (a share of a vCPU) without and with the change, machine-wide changes only. */
  pollShare?: { before: number | null; after: number | null };
  /** What the reads cost in CPU in the decision's A arm (without) and B arm (with the change), all blocks together. */
  cpu?: { before: CpuCost | null; after: CpuCost | null };
  /** How long deciding this change took (grid, blocks, the switch back). */
  elapsedMs?: number;
}

/** The final state against the original, interleaved at the end of the run: the result a user reads. */
export interface FinalComparison {
  blocks: Block[];
  ratio: number;
  /** A 1 − 2·REPORT_ALPHA interval of the ratio; null ends: too few blocks. */
  interval: [number | null, number | null];
}

import type { CpuCost } from './cpu-cost.js';

// The blocks and evidence tune decides each change on (LOOKS, ALPHA_PER_LOOK and REPORT_ALPHA are in tune/decision.ts).

export interface RoundFigures {
  p50Us: number;
  p99Us: number;
  p999Us: number;
  iops: number;
  samples: number;
}

export type BlockOrder = 'ABBA' | 'BAAB';

/**
 * Four rounds, A B B A or B A A B, the order drawn at random per block. Within a block a linear
 * drift cancels (both arms have the same mean time); across blocks the random order makes each
 * block's sign a coin toss when the change does nothing, whatever the machine does meanwhile.
 */
export interface Block {
  order: BlockOrder;
  a: [RoundFigures, RoundFigures];
  b: [RoundFigures, RoundFigures];
  /** B over A: the geometric mean of the two B rounds' p50 over that of the two A rounds'. */
  ratio: number;
}

export type Outcome = 'gain' | 'no-gain' | 'slower' | 'too-noisy' | 'prerequisite';

export interface Evidence {
  outcome: Outcome;
  /** The estimated p50 ratio B/A (Hodges–Lehmann over the blocks' log ratios). */
  ratio: number;
  /** Each end one-sided at 1 − ALPHA_PER_LOOK; null ends: too few blocks to bound. */
  interval: [number | null, number | null];
  blocks: number;
  /** Looks taken at the evidence (the first at LOOKS[0] blocks). */
  looks: number;
  reason: string;
}

export interface GridPoint {
  value: string | number;
  p50Us: number[];
  medianP50Us: number;
  /** Each pass's figures, in pass order (for pairing with another value of the same pass). */
  rounds: RoundFigures[];
  /** What the reads cost in CPU at this value, over all its passes; null or absent: not read. */
  cpu?: CpuCost | null;
  /** The idle polling share (a share of a vCPU) in an idle window at this value; absent: the knob does not act on idle. */
  idlePollShare?: number | null;
}

/** How the grid's value was chosen: the cheapest within the tolerance of the best, under the cap. */
export interface GridChoice {
  /** Within this share of the best median p50 counts as reaching it: the noise floor's spread, at least 2 %. */
  tolerance: number;
  /** What "cheapest" was measured by: the idle polling share, or (no POLL state) the vCPUs' busy share during the reads. */
  costBy: 'idle-poll-share' | 'busy-share';
  /** The cap on the idle polling share (a share of a vCPU); null: none. */
  maxIdlePollShare: number | null;
  /** Values not chosen because they polled above the cap. */
  excluded: Array<{ value: string | number; idlePollShare: number }>;
  /** False when no value within the tolerance was under the cap and the fastest under it was tried instead. */
  reachesBest: boolean;
}

/** The unchanged settings against themselves, in blocks like a decision's: what noise alone looks like in this run. */
export interface NoiseFloor {
  blocks: Block[];
  /** Smallest and largest block ratio. */
  range: [number, number];
  /** The largest departure from 1 of any block, as a share (0.021: 2.1 %). */
  spread: number;
}

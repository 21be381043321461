import { randomInt } from 'node:crypto';
import type { RoundFigures, BlockOrder, Block, Outcome, Evidence } from '../contracts/tune-evidence.js';
import { signedRankBounds } from './rank-test.js';

/** A change is kept only when even the conservative end of its interval is this much faster. */
export const MIN_GAIN = 0.03;
/**
 * The share of no-effect changes that may be kept, at most, over all looks together. Exact for the
 * signed-rank test on randomly ordered blocks (see README, "How tune decides").
 */
export const FALSE_KEEP_RATE = 0.02;
/** Block counts at which the evidence is looked at, fixed in advance so the rate above holds. */
export const LOOKS = [8, 12, 16, 24, 32] as const;
/** Each look spends an equal share of the false-keep rate (Bonferroni over the looks). */
export const ALPHA_PER_LOOK = FALSE_KEEP_RATE / LOOKS.length;
/** Blocks of the unchanged setting against itself at the start of a run: its noise floor. */
export const NOISE_BLOCKS = 4;
/** Blocks of the final state against the original at the end of a run: the result the user reads. */
export const FINAL_BLOCKS = 6;
/** One-sided confidence of each end of the reported final and noise intervals (a 96 % interval). */
export const REPORT_ALPHA = 0.02;

export function makeBlock(order: BlockOrder, a: [RoundFigures, RoundFigures], b: [RoundFigures, RoundFigures]): Block {
  return { order, a, b, ratio: Math.sqrt((b[0].p50Us * b[1].p50Us) / (a[0].p50Us * a[1].p50Us)) };
}

const logRatio = (b: Block) => Math.log(b.ratio);
const finite = (x: number) => (Number.isFinite(x) ? Math.exp(x) : null);

/** Bounds on the B/A ratio from blocks, each end one-sided at 1 − alpha. */
export function ratioBounds(blocks: Block[], alpha: number): { ratio: number; lower: number | null; upper: number | null } {
  const b = signedRankBounds(blocks.map(logRatio), alpha);
  return { ratio: Math.exp(b.estimate), lower: finite(b.lower), upper: finite(b.upper) };
}

const pct = (x: number) => `${(Math.abs(x - 1) * 100).toFixed(1)} %`;
/** "0.884–0.941"; an end too few blocks could bound shows as −∞ or ∞. */
export const intervalText = ([lo, hi]: [number | null, number | null]) => `${lo === null ? '−∞' : lo.toFixed(3)}–${hi === null ? '∞' : hi.toFixed(3)}`;
/** "p50 8.8 % higher" / "p50 4.0 % lower": the direction in words, never a signed number to decode. */
export function p50Change(ratio: number): string {
  if (Math.abs(ratio - 1) < 0.0005) return 'p50 unchanged';
  return `p50 ${pct(ratio)} ${ratio < 1 ? 'lower' : 'higher'}`;
}

/**
 * What the blocks so far say, at one look: gain (the whole interval at least MIN_GAIN faster), slower
 * (the whole interval slower), no-gain (the whole interval short of MIN_GAIN faster), or, when the
 * interval straddles the threshold, undecided (null), which becomes too-noisy at the last look.
 */
export function assess(blocks: Block[], looks: number, last: boolean): Evidence | null {
  const { ratio, lower, upper } = ratioBounds(blocks, ALPHA_PER_LOOK);
  const interval: [number | null, number | null] = [lower, upper];
  const ci = `interval ${intervalText([lower, upper])} over ${blocks.length} blocks`;
  const evidence = (outcome: Outcome, reason: string): Evidence => ({ outcome, ratio, interval, blocks: blocks.length, looks, reason });
  const threshold = 1 - MIN_GAIN;
  if (upper !== null && upper <= threshold) return evidence('gain', `${p50Change(ratio)} (${ci}: at least ${pct(upper)} lower)`);
  if (lower !== null && lower > 1) return evidence('slower', `${p50Change(ratio)}: slower with the change (${ci})`);
  if (lower !== null && lower > threshold) return evidence('no-gain', `${p50Change(ratio)}: no gain of ${MIN_GAIN * 100} % or more (${ci})`);
  if (!last) return null;
  return evidence('too-noisy', `too noisy to decide: ${p50Change(ratio)}, but the ${ci} neither shows nor rules out a gain of ${MIN_GAIN * 100} %; nothing kept`);
}

export interface DecideOptions {
  setA: () => void | Promise<void>;
  setB: () => void | Promise<void>;
  measure: () => Promise<RoundFigures>;
  /** Called before each block: false when the run has no time left for one more. */
  canAffordBlock: (blocksSoFar: number) => boolean;
  /** At most this many blocks (the last look at or below it); default the last of LOOKS. */
  maxBlocks?: number;
  /** The order of each block; default a fair coin from the OS's random source. */
  order?: () => BlockOrder;
}

export const randomOrder = (): BlockOrder => (randomInt(2) === 0 ? 'ABBA' : 'BAAB');

/** Measure one block in the given order, the knob switched before each round whose arm differs. */
export async function measureBlock(order: BlockOrder, setA: DecideOptions['setA'], setB: DecideOptions['setB'], measure: DecideOptions['measure']): Promise<Block> {
  const arms = order === 'ABBA' ? (['A', 'B', 'B', 'A'] as const) : (['B', 'A', 'A', 'B'] as const);
  const got: Record<'A' | 'B', RoundFigures[]> = { A: [], B: [] };
  for (const arm of arms) {
    await (arm === 'A' ? setA() : setB());
    got[arm].push(await measure());
  }
  return makeBlock(order, [got.A[0]!, got.A[1]!], [got.B[0]!, got.B[1]!]);
}

/**
 * The sequential decision: blocks until a look decides, up to the last look or the budget. A run
 * cut short by the budget takes one last look at what it has (never more than LOOKS.length looks).
 */
export async function decide(o: DecideOptions): Promise<{ evidence: Evidence; blocks: Block[] }> {
  const maxBlocks = o.maxBlocks ?? LOOKS[LOOKS.length - 1]!;
  const looksAt: number[] = LOOKS.filter((n) => n <= maxBlocks);
  if (!looksAt.length) looksAt.push(LOOKS[0]);
  const order = o.order ?? randomOrder;
  const blocks: Block[] = [];
  let looks = 0;
  for (;;) {
    const lastScheduled = looksAt[looksAt.length - 1]!;
    if (!o.canAffordBlock(blocks.length)) {
      // Same data, same alpha: this look adds no new chance to keep what an earlier one did not.
      const evidence = blocks.length
        ? assess(blocks, looks + 1, true)!
        : { outcome: 'too-noisy' as const, ratio: Number.NaN, interval: [null, null] as [null, null], blocks: 0, looks: 0, reason: 'too noisy to decide: nothing kept' };
      return { evidence: { ...evidence, reason: `${evidence.reason} (the budget ended the measuring after ${blocks.length} blocks)` }, blocks };
    }
    blocks.push(await measureBlock(order(), o.setA, o.setB, o.measure));
    if (!looksAt.includes(blocks.length)) continue;
    looks++;
    const evidence = assess(blocks, looks, blocks.length >= lastScheduled);
    if (evidence) return { evidence, blocks };
  }
}

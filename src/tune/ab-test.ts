import { median } from 'simple-statistics';
import type { RoundFigures } from './meter.js';

export interface AbPair {
  a: RoundFigures;
  b: RoundFigures;
  /** p50 of B over p50 of A: below 1 means B is faster. */
  ratio: number;
}

export interface AbVerdict {
  pairs: AbPair[];
  medianRatio: number;
  /** Most pairs (at least two thirds) point the same way as the median. */
  agree: boolean;
  keep: boolean;
  reason: string;
}

export const MIN_GAIN = 0.03;

/** Pairs from a grid search: in each pass, the new value's round against the original's. */
export function gridPairs(original: RoundFigures[], chosen: RoundFigures[]): AbPair[] {
  return original.map((a, i) => ({ a, b: chosen[i]!, ratio: chosen[i]!.p50Us / a.p50Us }));
}

/**
 * Interleaved A/B: pairs alternate their order (A B, B A, A B…) so that a drifting machine
 * favours neither side; the per-pair p50 ratios decide, not a single long run of each.
 */
export async function abTest(pairs: number, setA: () => void, setB: () => void, measure: () => Promise<RoundFigures>): Promise<AbPair[]> {
  const out: AbPair[] = [];
  for (let i = 0; i < pairs; i++) {
    let a: RoundFigures;
    let b: RoundFigures;
    if (i % 2 === 0) {
      setA();
      a = await measure();
      setB();
      b = await measure();
    } else {
      setB();
      b = await measure();
      setA();
      a = await measure();
    }
    out.push({ a, b, ratio: b.p50Us / a.p50Us });
  }
  return out;
}

export function judge(pairs: AbPair[], prerequisite = false): AbVerdict {
  const medianRatio = median(pairs.map((p) => p.ratio));
  // On a shared VM one round in a few catches a neighbour's burst: a clear majority must agree.
  const sameWay = pairs.filter((p) => (medianRatio < 1 ? p.ratio < 1 : p.ratio >= 1)).length;
  const agree = sameWay >= Math.ceil((2 * pairs.length) / 3);
  const gainPct = ((1 - medianRatio) * 100).toFixed(1);
  if (prerequisite) return { pairs, medianRatio, agree, keep: true, reason: `kept as a prerequisite of other changes (median p50 ratio ${medianRatio.toFixed(3)})` };
  if (medianRatio <= 1 - MIN_GAIN && agree) return { pairs, medianRatio, agree, keep: true, reason: `p50 ${gainPct} % lower, ${sameWay} of ${pairs.length} pairs agree` };
  if (medianRatio <= 1 - MIN_GAIN) return { pairs, medianRatio, agree, keep: false, reason: `median gain ${gainPct} % but only ${sameWay} of ${pairs.length} pairs agree: not a measurable gain` };
  return { pairs, medianRatio, agree, keep: false, reason: `p50 change ${(-Number(gainPct)).toFixed(1)} %: below the ${MIN_GAIN * 100} % that counts as a gain` };
}

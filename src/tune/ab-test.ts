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
  const ratios = pairs.map((p) => p.ratio).sort((x, y) => x - y);
  const medianRatio = median(ratios);
  // On a shared VM one round in a few catches a neighbour's burst: a clear majority must agree.
  const sameWay = pairs.filter((p) => (medianRatio < 1 ? p.ratio < 1 : p.ratio >= 1)).length;
  const agree = sameWay >= Math.ceil((2 * pairs.length) / 3);
  const verdict = (keep: boolean, reason: string): AbVerdict => ({ pairs, medianRatio, agree, keep, reason });
  const spread = `pair ratios ${ratios[0]!.toFixed(3)}–${ratios[ratios.length - 1]!.toFixed(3)}`;
  const change = p50Change(medianRatio);
  const majority = `${sameWay} of ${pairs.length} pairs agree`;
  const threshold = `${MIN_GAIN * 100} %`;
  if (prerequisite) return verdict(true, `kept as a prerequisite of other changes (${change})`);
  if (medianRatio <= 1 - MIN_GAIN) {
    return agree ? verdict(true, `${change}, ${majority}`) : verdict(false, `${change} in the median, but only ${majority} (${spread}): run-to-run noise, not a measurable gain`);
  }
  if (medianRatio >= 1 + MIN_GAIN) {
    return agree ? verdict(false, `${change}: slower with the change, ${majority}`) : verdict(false, `${change} in the median, but only ${majority} (${spread}): run-to-run noise, no gain`);
  }
  if (medianRatio < 1) return verdict(false, `${change}: below the ${threshold} that counts as a gain`);
  if (medianRatio > 1) return verdict(false, `${change}: no gain (within the ${threshold} that counts as a change)`);
  return verdict(false, 'p50 unchanged: no gain');
}

/** "p50 8.8 % higher" / "p50 4.0 % lower": the direction in words, never a signed number to decode. */
export function p50Change(ratio: number): string {
  const pct = Math.abs(ratio - 1) * 100;
  if (pct < 0.05) return 'p50 unchanged';
  return `p50 ${pct.toFixed(1)} % ${ratio < 1 ? 'lower' : 'higher'}`;
}

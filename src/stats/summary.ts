import { mean, quantileSorted, standardDeviation } from 'simple-statistics';
import type { PercentileKey, LatencySummary } from '../contracts/latency-stats.js';

export const PERCENTILES = [1, 5, 10, 50, 90, 95, 99, 99.9, 99.99] as const;

export function percentileKey(p: number): PercentileKey {
  return `p${p}` as PercentileKey;
}

/** Exact summary of latency samples (ns). Sorts a copy; the caller's order is kept. */
export function summarize(samplesNs: Float64Array): LatencySummary {
  if (samplesNs.length === 0) throw new Error('no samples to summarize');
  const sorted = Float64Array.from(samplesNs).sort();
  const us = Array.from(sorted, (ns) => ns / 1000);
  const percentilesUs = {} as Record<PercentileKey, number>;
  for (const p of PERCENTILES) percentilesUs[percentileKey(p)] = round3(quantileSorted(us, p / 100));
  return {
    count: us.length,
    minUs: round3(us[0]!),
    meanUs: round3(mean(us)),
    stdevUs: round3(us.length > 1 ? standardDeviation(us) : 0),
    maxUs: round3(us[us.length - 1]!),
    percentilesUs,
  };
}

/** The same summary with a constant per-I/O cost taken off every location statistic. */
export function subtractOverhead(s: LatencySummary, overheadUs: number): LatencySummary {
  const sub = (v: number) => round3(Math.max(0, v - overheadUs));
  const percentilesUs = {} as Record<PercentileKey, number>;
  for (const p of PERCENTILES) percentilesUs[percentileKey(p)] = sub(s.percentilesUs[percentileKey(p)]);
  return { ...s, minUs: sub(s.minUs), meanUs: sub(s.meanUs), maxUs: sub(s.maxUs), percentilesUs };
}

export function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** Half the width of the distribution-free 95 % interval of a sorted sample's median (ranks n/2 ± 0.98·√n). */
export function medianHalfWidth(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  if (n < 2) return 0;
  const d = Math.ceil(0.98 * Math.sqrt(n));
  const lo = Math.max(0, Math.floor(n / 2) - d);
  const hi = Math.min(n - 1, Math.floor(n / 2) + d);
  return (sorted[hi]! - sorted[lo]!) / 2;
}

import type { HistogramJson } from '../contracts/latency-stats.js';

/**
 * Log-linear latency histogram in nanoseconds, fio's layout: values below 128 ns have a bucket
 * each; above, every power of two is split into 64 equal buckets, so a bucket's midpoint is
 * within 1/128 (0.78 %) of any value in it. Same layout everywhere, so histograms merge by
 * adding counts and survive JSON round trips.
 */
export const HISTOGRAM_BITS = 6;
const SUB = 1 << HISTOGRAM_BITS; // 64 buckets per power of two
const LINEAR_LIMIT = 2 * SUB; // values below this are exact
const MAX_EXPONENT = 44; // 2^50 ns ≈ 13 days: beyond any I/O
const BUCKETS = (MAX_EXPONENT + 2) * SUB;

export function bucketIndex(ns: number): number {
  const v = ns > 0 ? Math.floor(ns) : 0;
  if (v < LINEAR_LIMIT) return v;
  const e = Math.min(highestBit(v) - HISTOGRAM_BITS, MAX_EXPONENT);
  return Math.min(e * SUB + Math.floor(v / 2 ** e), BUCKETS - 1);
}

/** [lower, upper) in ns of a bucket. */
export function bucketBounds(index: number): [number, number] {
  if (index < LINEAR_LIMIT) return [index, index + 1];
  const e = Math.floor(index / SUB) - 1;
  const m = index - e * SUB;
  return [m * 2 ** e, (m + 1) * 2 ** e];
}

function highestBit(v: number): number {
  return v < 2 ** 32 ? 31 - Math.clz32(v) : 32 + 31 - Math.clz32(Math.floor(v / 2 ** 32));
}

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  minNs = Infinity;
  maxNs = -Infinity;

  add(ns: number): void {
    this.counts[bucketIndex(ns)]!++;
    this.count++;
    if (ns < this.minNs) this.minNs = ns;
    if (ns > this.maxNs) this.maxNs = ns;
  }

  addAll(samplesNs: ArrayLike<number>): this {
    for (let i = 0; i < samplesNs.length; i++) this.add(samplesNs[i]!);
    return this;
  }

  merge(other: Histogram): this {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.minNs = Math.min(this.minNs, other.minNs);
    this.maxNs = Math.max(this.maxNs, other.maxNs);
    return this;
  }

  /** Value at percentile p (0..100), fio-style: the midpoint of the bucket holding that rank, clamped to the observed range. */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const [lo, hi] = bucketBounds(i);
        const mid = i < LINEAR_LIMIT ? lo : (lo + hi) / 2;
        return Math.min(Math.max(mid, this.minNs), this.maxNs);
      }
    }
    return this.maxNs;
  }

  /** Non-empty buckets as [lowerNs, upperNs, count], ascending. */
  nonEmpty(): Array<[number, number, number]> {
    const out: Array<[number, number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.counts[i]!;
      if (c > 0) out.push([...bucketBounds(i), c]);
    }
    return out;
  }

  toJSON(): HistogramJson {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!]);
    return {
      scheme: 'log-linear',
      bits: HISTOGRAM_BITS,
      unit: 'ns',
      count: this.count,
      minNs: this.count ? this.minNs : 0,
      maxNs: this.count ? this.maxNs : 0,
      buckets,
    };
  }

  static fromJSON(json: HistogramJson): Histogram {
    const problem = histogramJsonProblem(json);
    if (problem) throw new Error(problem);
    const h = new Histogram();
    for (const [i, c] of json.buckets) {
      h.counts[i] = c;
      h.count += c;
    }
    h.minNs = json.count ? json.minNs : Infinity;
    h.maxNs = json.count ? json.maxNs : -Infinity;
    return h;
  }
}

/**
 * Why a histogram read from elsewhere (a bundle, a saved run) cannot be used, or null: the
 * layout, sample counts that are whole numbers in range and add up, finite bounds.
 */
export function histogramJsonProblem(json: unknown): string | null {
  const j = json as Partial<HistogramJson> | null;
  if (j === null || typeof j !== 'object') return 'histogram is not an object';
  if (j.scheme !== 'log-linear' || j.bits !== HISTOGRAM_BITS || j.unit !== 'ns')
    return `histogram layout ${String(j.scheme)}/${String(j.bits)}/${String(j.unit)} is not log-linear/${HISTOGRAM_BITS}/ns`;
  const whole = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  const finite = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  if (!whole(j.count) || !finite(j.minNs) || !finite(j.maxNs) || j.minNs > j.maxNs) return 'histogram count or bounds out of range';
  if (!Array.isArray(j.buckets) || j.buckets.length > BUCKETS) return 'histogram buckets are not a list of [index, count]';
  let total = 0;
  for (const b of j.buckets as unknown[]) {
    if (!Array.isArray(b) || b.length !== 2) return 'histogram buckets are not a list of [index, count]';
    const [i, c] = b as [unknown, unknown];
    if (!Number.isInteger(i) || (i as number) < 0 || (i as number) >= BUCKETS) return `histogram bucket index ${String(i)} out of range`;
    if (!whole(c)) return `histogram bucket count ${String(c)} out of range`;
    total += c;
  }
  return total === j.count ? null : `histogram bucket counts add up to ${total}, not its count ${j.count}`;
}

export interface CoarseBin {
  from: number;
  to: number;
  count: number;
  /** Set on the bins that fold everything below `lo` or above `hi`. */
  edge?: 'below' | 'above';
}

/**
 * Fine buckets merged 8 per power of two (bins ~9 % wide) for display; with a range, everything
 * outside it is folded into one bin at each end so that every sample is still counted.
 */
export function coarseBins(json: HistogramJson, range?: { lo: number; hi: number }): CoarseBin[] {
  const merge = 1 << (HISTOGRAM_BITS - 3);
  const bins = new Map<number, CoarseBin>();
  for (const [i, c] of json.buckets) {
    const [from, to] = bucketBounds(i);
    const key = range && from < range.lo ? -1 : range && from > range.hi ? Infinity : i < LINEAR_LIMIT ? Math.floor(i / 8) : Math.floor(i / merge) + 1000;
    const bin = bins.get(key) ?? { from, to, count: 0, ...(key === -1 ? { edge: 'below' as const } : key === Infinity ? { edge: 'above' as const } : {}) };
    bin.from = Math.min(bin.from, from);
    bin.to = Math.max(bin.to, to);
    bin.count += c;
    bins.set(key, bin);
  }
  return [...bins.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
}

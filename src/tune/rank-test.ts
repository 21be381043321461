/**
 * Exact rank statistics for tune's decisions: distribution-free, so a burst (one wild round) moves
 * a rank by one, not the estimate by its size, and the error rates hold whatever the latency's
 * distribution. Everything here is arithmetic on numbers; nothing measures.
 */

/** counts[w] = how many of the 2^n sign patterns give a signed-rank sum W+ of w (no ties). */
function signedRankCounts(n: number): number[] {
  let counts = [1];
  for (let r = 1; r <= n; r++) {
    const next = new Array<number>(counts.length + r).fill(0);
    for (let w = 0; w < counts.length; w++) {
      next[w]! += counts[w]!;
      next[w + r]! += counts[w]!;
    }
    counts = next;
  }
  return counts;
}

/** counts[u] = how many of the C(m+n, m) arrangements give a Mann–Whitney U of u. */
function rankSumCounts(m: number, n: number): number[] {
  // f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u): the largest value belongs to x or to y.
  const table = new Map<string, number[]>();
  const f = (a: number, b: number): number[] => {
    if (a === 0 || b === 0) return [1];
    const key = `${a},${b}`;
    const hit = table.get(key);
    if (hit) return hit;
    const out = new Array<number>(a * b + 1).fill(0);
    const left = f(a - 1, b);
    for (let u = 0; u < left.length; u++) out[u + b]! += left[u]!;
    const right = f(a, b - 1);
    for (let u = 0; u < right.length; u++) out[u]! += right[u]!;
    table.set(key, out);
    return out;
  };
  return f(m, n);
}

/**
 * The largest k with P(statistic ≤ k) ≤ alpha under the null, or -1 when even the most extreme
 * outcome is more likely than alpha (too few observations for this alpha).
 */
function criticalCount(counts: number[], alpha: number): number {
  const total = counts.reduce((a, b) => a + b, 0);
  let cum = 0;
  let k = -1;
  for (let w = 0; w < counts.length; w++) {
    cum += counts[w]!;
    if (cum / total > alpha) break;
    k = w;
  }
  return k;
}

export interface LocationBounds {
  /** Hodges–Lehmann estimate: the median of the Walsh averages (one sample) or of all differences (two). */
  estimate: number;
  /** One-sided bounds, each at confidence 1 − alpha; ±Infinity when there are too few values for alpha. */
  lower: number;
  upper: number;
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const medianOf = (s: number[]) => (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2);

/**
 * Wilcoxon signed-rank bounds for the centre of d (paired differences): P(centre < lower) ≤ alpha
 * and P(centre > upper) ≤ alpha, exactly, when each d is symmetric about the centre, as randomly
 * ordered blocks make it under "no effect".
 */
export function signedRankBounds(d: number[], alpha: number): LocationBounds {
  const walsh: number[] = [];
  for (let i = 0; i < d.length; i++) for (let j = i; j < d.length; j++) walsh.push((d[i]! + d[j]!) / 2);
  const w = sorted(walsh);
  const k = criticalCount(signedRankCounts(d.length), alpha);
  return {
    estimate: w.length ? medianOf(w) : Number.NaN,
    lower: k < 0 ? -Infinity : w[k]!,
    upper: k < 0 ? Infinity : w[w.length - 1 - k]!,
  };
}

/** The one-sided p-value of "centre ≤ 0" against "centre > 0" is not needed; this is its mirror: P(W+ ≤ observed). */
export function signedRankPLower(d: number[]): number {
  const ranked = d
    .filter((x) => x !== 0)
    .map((x) => ({ x, a: Math.abs(x) }))
    .sort((p, q) => p.a - q.a);
  const wPlus = ranked.reduce((s, r, i) => s + (r.x > 0 ? i + 1 : 0), 0);
  const counts = signedRankCounts(ranked.length);
  const total = counts.reduce((a, b) => a + b, 0);
  let cum = 0;
  for (let w = 0; w <= wPlus; w++) cum += counts[w] ?? 0;
  return cum / total;
}

/**
 * Wilcoxon–Mann–Whitney bounds for the shift y − x between two samples, each at confidence
 * 1 − alpha (exact when the two samples are exchangeable under "no shift").
 */
export function rankSumBounds(x: number[], y: number[], alpha: number): LocationBounds {
  const diffs: number[] = [];
  for (const a of x) for (const b of y) diffs.push(b - a);
  const s = sorted(diffs);
  const k = criticalCount(rankSumCounts(x.length, y.length), alpha);
  return {
    estimate: s.length ? medianOf(s) : Number.NaN,
    lower: k < 0 ? -Infinity : s[k]!,
    upper: k < 0 ? Infinity : s[s.length - 1 - k]!,
  };
}

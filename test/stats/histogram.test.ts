import { describe, expect, it } from 'vitest';
import { bucketBounds, bucketIndex, Histogram } from '../../src/stats/histogram.js';

// Deterministic pseudo-random values spread over 100 ns .. 100 ms on a log scale.
function logSpread(n: number): number[] {
  const out: number[] = [];
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out.push(Math.floor(100 * 10 ** ((x / 2 ** 32) * 6)));
  }
  return out;
}

describe('log-linear histogram', () => {
  it('puts every value in a bucket that contains it, midpoint within 0.8 %', () => {
    for (const v of [...logSpread(20000), 0, 1, 127, 128, 129, 255, 256, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 12345]) {
      const [lo, hi] = bucketBounds(bucketIndex(v));
      expect(v).toBeGreaterThanOrEqual(lo);
      expect(v).toBeLessThan(hi);
      if (v >= 128) expect(Math.abs((lo + hi) / 2 - v) / v).toBeLessThanOrEqual(1 / 128 + 1e-12);
    }
  });

  it('has contiguous, increasing buckets', () => {
    for (let i = 1; i < 3000; i++) expect(bucketBounds(i)[0]).toBe(bucketBounds(i - 1)[1]);
  });

  it('estimates percentiles of known data within 1 %', () => {
    const data = logSpread(50000);
    const sorted = [...data].sort((a, b) => a - b);
    const h = new Histogram().addAll(data);
    for (const p of [1, 10, 50, 90, 99, 99.9]) {
      const exact = sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
      expect(Math.abs(h.percentile(p) - exact) / exact).toBeLessThan(0.01);
    }
    expect(h.percentile(100)).toBe(sorted.at(-1));
    expect(h.count).toBe(50000);
  });

  it('merges to the same histogram as adding everything to one', () => {
    const data = logSpread(10000);
    const a = new Histogram().addAll(data.slice(0, 3000));
    const b = new Histogram().addAll(data.slice(3000));
    const all = new Histogram().addAll(data);
    expect(a.merge(b).toJSON()).toEqual(all.toJSON());
  });

  it('survives a JSON round trip and refuses another layout', () => {
    const h = new Histogram().addAll(logSpread(1000));
    const back = Histogram.fromJSON(JSON.parse(JSON.stringify(h.toJSON())));
    expect(back.toJSON()).toEqual(h.toJSON());
    expect(back.percentile(50)).toBe(h.percentile(50));
    expect(() => Histogram.fromJSON({ ...h.toJSON(), bits: 5 })).toThrow(/layout/);
  });
});

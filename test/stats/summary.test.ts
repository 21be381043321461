import { describe, expect, it } from 'vitest';
import { subtractOverhead, summarize } from '../../src/stats/summary.js';

describe('latency summary', () => {
  // 1..10000 µs in shuffled order, as ns.
  const us = Array.from({ length: 10000 }, (_, i) => i + 1);
  for (let i = us.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [us[i], us[j]] = [us[j]!, us[i]!];
  }
  const samples = Float64Array.from(us, (v) => v * 1000);

  // Percentiles interpolate linearly between order statistics (R-7, numpy's default): h = (n-1)p.
  it('gives exact percentiles, mean and extremes of known data', () => {
    const s = summarize(samples);
    expect(s.count).toBe(10000);
    expect(s.minUs).toBe(1);
    expect(s.maxUs).toBe(10000);
    expect(s.meanUs).toBe(5000.5);
    expect(s.percentilesUs.p50).toBe(5000.5);
    expect(s.percentilesUs.p1).toBe(100.99);
    expect(s.percentilesUs.p99).toBe(9900.01);
    expect(s.percentilesUs['p99.9']).toBe(9990.001);
    expect(s.percentilesUs['p99.99']).toBe(9999);
    expect(s.stdevUs).toBeCloseTo(2886.75, 1);
  });

  it("leaves the caller's sample order alone", () => {
    const copy = Float64Array.from(samples);
    summarize(samples);
    expect(samples).toEqual(copy);
  });

  it('takes the overhead off every location statistic but not the spread', () => {
    const s = summarize(samples);
    const c = subtractOverhead(s, 4.5);
    expect(c.percentilesUs.p50).toBe(4996);
    expect(c.minUs).toBe(0); // clamped, never negative
    expect(c.meanUs).toBe(4996);
    expect(c.stdevUs).toBe(s.stdevUs);
  });
});

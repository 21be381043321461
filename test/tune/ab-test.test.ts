import { describe, expect, it } from 'vitest';
import { gridPairs, judge, type AbPair } from '../../src/tune/ab-test.js';
import type { RoundFigures } from '../../src/tune/meter.js';

const fig = (p50Us: number): RoundFigures => ({ p50Us, p99Us: p50Us * 2, p999Us: p50Us * 4, iops: Math.round(1e6 / p50Us), samples: 1000 });
const pairs = (...ratios: number[]): AbPair[] => ratios.map((r) => ({ a: fig(50), b: fig(50 * r), ratio: r }));

describe('keep-or-revert verdict', () => {
  it('keeps a median gain of 3 % or more when at least two thirds of the pairs agree', () => {
    expect(judge(pairs(0.7, 0.72, 0.75))).toMatchObject({ keep: true, agree: true });
    expect(judge(pairs(0.7, 0.72, 1.05))).toMatchObject({ keep: true, agree: true }); // one noisy pair of three
    expect(judge(pairs(0.7, 0.72, 1.05)).reason).toMatch(/2 of 3 pairs agree/);
  });

  it('reverts when too few pairs agree, or the gain is under 3 %', () => {
    expect(judge(pairs(0.7, 1.1, 1.2, 0.8, 0.9, 1.05))).toMatchObject({ keep: false });
    expect(judge(pairs(0.5, 0.9, 1.1, 1.2, 0.8))).toMatchObject({ keep: false }); // median 0.9 but 3 of 5 agree
    expect(judge(pairs(0.98, 0.975, 0.99))).toMatchObject({ keep: false });
    expect(judge(pairs(0.98, 0.975, 0.99)).reason).toMatch(/below the 3 %/);
  });

  describe('says what was measured, in the direction it went', () => {
    // p50 in µs of A (old value) and B (new value), as rounds on this machine kind give them.
    const measured = (...ab: Array<[number, number]>): AbPair[] => ab.map(([a, b]) => ({ a: fig(a), b: fig(b), ratio: b / a }));

    it('a gain that is kept', () => {
      const v = judge(measured([58.1, 41.0], [57.6, 40.6], [59.0, 41.9]));
      expect(v.keep).toBe(true);
      expect(v.reason).toBe('p50 29.4 % lower, 3 of 3 pairs agree');
    });

    it('a gain too small to count', () => {
      const v = judge(measured([66.2, 65.1], [67.0, 66.1], [66.5, 65.9]));
      expect(v.keep).toBe(false);
      expect(v.reason).toBe('p50 1.3 % lower: below the 3 % that counts as a gain');
    });

    it('a change that made it worse is called worse, not a gain below the threshold', () => {
      const v = judge(measured([70.1, 76.3], [69.4, 75.5], [70.8, 77.0]));
      expect(v.keep).toBe(false);
      expect(v.reason).toBe('p50 8.8 % higher: slower with the change, 3 of 3 pairs agree');
      expect(v.reason).not.toMatch(/gain|-\d/);
      expect(judge(measured([70.1, 71.0], [69.4, 70.3], [70.8, 71.5])).reason).toBe('p50 1.3 % higher: no gain (within the 3 % that counts as a change)');
    });

    it('pairs that disagree are noise, whichever way the median leans', () => {
      const gain = judge(measured([60, 42], [61, 66], [59, 45], [58, 55], [60, 64]));
      expect(gain.medianRatio).toBeLessThan(0.97);
      expect(gain.keep).toBe(false);
      expect(gain.reason).toMatch(/^p50 \d+\.\d % lower in the median, but only 3 of 5 pairs agree \(pair ratios 0\.\d{3}–1\.\d{3}\): run-to-run noise, not a measurable gain$/);
      const worse = judge(measured([60, 72], [61, 55], [59, 66], [58, 54], [60, 64]));
      expect(worse.medianRatio).toBeGreaterThan(1.03);
      expect(worse.keep).toBe(false);
      expect(worse.reason).toMatch(/^p50 \d+\.\d % higher in the median, but only 3 of 5 pairs agree .*: run-to-run noise, no gain$/);
    });

    it('an unchanged p50 says so', () => {
      expect(judge(measured([60, 60], [61, 61], [59, 59])).reason).toBe('p50 unchanged: no gain');
    });
  });

  it('keeps a prerequisite whatever it measured', () => {
    expect(judge(pairs(1.1, 1.2, 1.3), true)).toMatchObject({ keep: true });
  });

  it("pairs a grid search's passes: new value against the original in the same pass", () => {
    const p = gridPairs([fig(60), fig(50), fig(55)], [fig(45), fig(40), fig(44)]);
    expect(p.map((x) => x.ratio)).toEqual([0.75, 0.8, 0.8]);
  });
});

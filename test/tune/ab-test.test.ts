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

  it('keeps a prerequisite whatever it measured', () => {
    expect(judge(pairs(1.1, 1.2, 1.3), true)).toMatchObject({ keep: true });
  });

  it('pairs a grid search\'s passes: new value against the original in the same pass', () => {
    const p = gridPairs([fig(60), fig(50), fig(55)], [fig(45), fig(40), fig(44)]);
    expect(p.map((x) => x.ratio)).toEqual([0.75, 0.8, 0.8]);
  });
});

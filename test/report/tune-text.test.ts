import { describe, expect, it } from 'vitest';
import type { TuneReport } from '../../src/contracts/tune-document.js';
import { renderTuneText } from '../../src/report/tune-text.js';
import type { AbPair } from '../../src/tune/ab-test.js';
import type { RoundFigures } from '../../src/tune/meter.js';

// Figures as a noisy shared VM gives them: every change reverted, yet the final rounds happen
// to be far better than the baseline (a neighbour's burst during the baseline).
const fig = (p50Us: number, p999Us = p50Us * 4): RoundFigures => ({ p50Us, p99Us: p50Us * 2, p999Us, iops: Math.round(1e6 / p50Us), samples: 3000 });
const pair = (a: number, b: number): AbPair => ({ a: fig(a), b: fig(b), ratio: b / a });
function report(decision: 'kept' | 'reverted'): TuneReport {
  const change = (target: string, pairs: AbPair[]) => ({
    findingId: target,
    title: target,
    target,
    from: ['0'],
    to: '2',
    decision,
    reason: 'p50 4.0 % higher: slower with the change, 2 of 2 pairs agree',
    medianRatio: 1.04,
    pairs,
  });
  const changes = [change('loop0:queue/nomerges', [pair(61.2, 63.5), pair(59.8, 62.3)]), change('loop0:queue/rq_affinity', [pair(60.4, 63.0), pair(62.9, 65.1)])];
  return {
    schemaVersion: 1,
    kind: 'nvprobe.tune',
    nvprobeVersion: '0.0.0-test',
    createdAt: '2025-01-01T00:00:00.000Z',
    run: 'r1',
    dryRun: false,
    plan: { changes: [], rebootOnly: [], skipped: [] } as unknown as TuneReport['plan'],
    target: { path: '/dev/loop0', scratch: false } as unknown as TuneReport['target'],
    engine: { name: 'psync2', polled: { polled: false, reason: 'test' } },
    result: {
      before: { ...fig(66.4, 3391), iops: 14100, idlePollShare: null },
      after: { ...fig(60.1, 536.6), iops: 15890, idlePollShare: null },
      histograms: { before: {} as never, after: {} as never },
      changes,
      kept: decision === 'kept' ? (changes as never) : [],
      partial: false,
      stopReason: null,
      elapsedMs: 4000,
    },
    persisted: null,
    savedTo: null,
  };
}

describe('tune text: the before/after table', () => {
  it('when every change was reverted, calls the differences noise and shows the spread', () => {
    const text = renderTuneText(report('reverted'));
    expect(text).toContain('No change kept: the settings are as they were, and the differences below are run-to-run noise.');
    expect(text).toMatch(/^Spread: p50 of the unchanged settings 59\.8–62\.9 µs over 4 rounds \(5\.2 % apart\); pair ratios B\/A 1\.035–1\.043\.$/m);
    expect(text).toMatch(/difference \(noise\)/);
    expect(text).not.toMatch(/ change\s*$/m);
  });

  it('when something was kept, the table is a result', () => {
    const text = renderTuneText(report('kept'));
    expect(text).not.toMatch(/noise/);
    expect(text).toMatch(/before\s+after\s+change/);
  });
});

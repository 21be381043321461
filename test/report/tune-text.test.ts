import { describe, expect, it } from 'vitest';
import type { TuneReport } from '../../src/contracts/tune-document.js';
import { renderTuneText } from '../../src/report/tune-text.js';
import { makeBlock } from '../../src/tune/decision.js';
import type { Block, RoundFigures } from '../../src/contracts/tune-evidence.js';

// Figures as a noisy shared VM gives them: every change reverted, yet the final rounds happen
// to be far better than the baseline (a neighbour's burst during the baseline).
const fig = (p50Us: number, p999Us = p50Us * 4): RoundFigures => ({ p50Us, p99Us: p50Us * 2, p999Us, iops: Math.round(1e6 / p50Us), samples: 3000 });
const block = (a1: number, b1: number, b2: number, a2: number): Block => makeBlock('ABBA', [fig(a1), fig(a2)], [fig(b1), fig(b2)]);
function report(decision: 'kept' | 'reverted'): TuneReport {
  const change = (target: string, blocks: Block[]) => ({
    findingId: target,
    title: target,
    target,
    from: ['0'],
    to: '2',
    decision,
    reason: 'p50 4.0 % higher: slower with the change (interval 1.021–1.052 over 8 blocks)',
    medianRatio: 1.04,
    evidence: { outcome: 'slower' as const, ratio: 1.04, interval: [1.021, 1.052] as [number, number], blocks: 8, looks: 1, reason: '' },
    blocks,
  });
  const changes = [change('loop0:queue/nomerges', [block(61.2, 63.5, 62.0, 60.0), block(59.8, 62.3, 61.0, 59.0)]), change('loop0:queue/rq_affinity', [block(60.4, 63.0, 62.2, 60.8)])];
  const noiseBlocks = [block(60.0, 60.6, 59.1, 59.4), block(61.0, 62.3, 61.2, 61.5)];
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
      noise: { blocks: noiseBlocks, range: [1.0058, 1.0129], spread: 0.0129 },
      final: decision === 'kept' ? { blocks: noiseBlocks, ratio: 0.912, interval: [0.884, 0.941] } : null,
      rule: { minGain: 0.03, falseKeepRate: 0.02, looks: [8, 12, 16, 24, 32], alphaPerLook: 0.004 },
    },
    persisted: null,
    savedTo: null,
  };
}

describe('tune text: the before/after table', () => {
  it('when every change was reverted, calls the differences noise and shows the noise floor', () => {
    const text = renderTuneText(report('reverted'));
    expect(text).toContain('No change kept: the settings are as they were, and the differences below are run-to-run noise.');
    expect(text).toMatch(/^Noise floor: the current settings against themselves, 2 blocks: ratios 1\.006–1\.013 \(up to 1\.3 % apart with nothing changed\)\.$/m);
    expect(text).toMatch(/difference \(noise\)/);
    expect(text).not.toMatch(/^Result:/m);
    expect(text).not.toMatch(/ change\s*$/m);
  });

  it('shows each change with its interval and block count, and the rule with its false-keep rate', () => {
    const text = renderTuneText(report('reverted'));
    expect(text).toMatch(/loop0:queue\/nomerges\s+0\s+2\s+1\.040\s+1\.021–1\.052\s+8\s+reverted/);
    expect(text).toMatch(/kept at most 2 % of the time/);
  });

  it('when something was kept, the table is the result: final against original, interleaved at the end', () => {
    const text = renderTuneText(report('kept'));
    expect(text).not.toMatch(/run-to-run noise/);
    expect(text).toMatch(/^Result: the final settings against the original ones, 2 interleaved blocks at the end: p50 8\.8 % lower \(ratio 0\.912, 96 % interval 0\.884–0\.941\)\.$/m);
    expect(text).toMatch(/before\s+after\s+change/);
  });
});

describe('tune text: the undo hint', () => {
  it('names the state dir the run was saved under, quoted for a shell, unless it is the default', () => {
    const own = { ...report('kept'), savedTo: "/srv/state dir/it's/runs/r1.json" };
    expect(renderTuneText(own)).toContain(`undo them with: nvprobe revert --state-dir '/srv/state dir/it'\\''s'`);
    const plain = { ...report('kept'), savedTo: '/srv/nvprobe-state/runs/r1.json' };
    expect(renderTuneText(plain)).toContain('undo them with: nvprobe revert --state-dir /srv/nvprobe-state\n');
    const prev = process.env.NVPROBE_STATE_DIR;
    delete process.env.NVPROBE_STATE_DIR;
    try {
      const dflt = { ...report('kept'), savedTo: '/var/lib/nvprobe/runs/r1.json' };
      expect(renderTuneText(dflt)).toMatch(/undo them with: nvprobe revert\n/);
    } finally {
      if (prev !== undefined) process.env.NVPROBE_STATE_DIR = prev;
    }
  });
});

import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Root } from '../../src/host/root.js';
import { engineChoices, registerEngine } from '../../src/io/engines.js';
import { planEngine } from '../../src/measure/engine-plan.js';
import { measureProbe, probeJob, type ProbeMeasureSettings } from '../../src/measure/probe-pipeline.js';
import { fioJob } from '../../src/report/fio-job.js';
import { renderProbeText } from '../../src/report/probe-report.js';
import { diskTempDir, expectedBlock, writeOffsetFile } from '../helpers/files.js';
import { restoreTracefs, tracefsMounted, tracingUnavailable } from '../helpers/tracefs-state.js';
import { THROWAWAY } from '../helpers/throwaway-engine.js';

const BLOCKS = 4096; // 16 MiB
let tmp: ReturnType<typeof diskTempDir>;
let file: string;
let unregister: () => void;
beforeAll(() => {
  tmp = diskTempDir();
  file = join(tmp.dir, 'throwaway.dat');
  writeOffsetFile(file, BLOCKS);
  unregister = registerEngine(THROWAWAY);
});
afterAll(() => {
  unregister();
  tmp.remove();
});

const settings = (over: Partial<ProbeMeasureSettings> = {}): ProbeMeasureSettings => ({
  target: file,
  blockSize: 4096,
  durationMs: 500,
  rampMs: 50,
  cpu: null,
  engine: 'throwaway',
  hipri: true,
  ...over,
});

describe('an engine added by its descriptor alone', () => {
  it('is offered to --engine and planned when chosen by name, never by auto', () => {
    expect(engineChoices()).toContain('throwaway');
    expect(planEngine('throwaway', { disk: 'nvme0n1', ioPoll: true }, true)).toEqual({ engine: 'throwaway', poll: false, why: '--engine throwaway' });
    expect(planEngine('auto', { disk: 'nvme0n1', ioPoll: true }, true).engine).toBe('io_uring');
    expect(planEngine('auto', { disk: 'vda', ioPoll: false }, true).engine).toBe('psync2');
  });

  it('gets its fio job from its descriptor', () => {
    const job = probeJob(new Root('/'), settings());
    expect(job).toMatchObject({ engine: 'throwaway', fio: THROWAWAY.fio, polled: false, filename: file, spanBytes: BLOCKS * 4096 });
    const text = fioJob(job);
    expect(text).toContain('\nioengine=psync\n');
    expect(text).toContain('\nhipri=0\n');
  });

  it('is measured and reported under its own name, untraced', async () => {
    const r = await measureProbe(new Root('/'), settings({ trace: false }), { say: () => {}, nvprobeVersion: 'test' });
    expect(r.engine).toMatchObject({
      name: 'throwaway',
      requested: 'throwaway',
      selection: '--engine throwaway',
      polled: { polled: false, reason: 'the throwaway engine cannot poll: interrupt completion' },
      hipri: { requested: false, effective: false, reason: 'not used by the throwaway engine' },
    });
    expect(r.kernelClock).toEqual({ available: false, reason: 'turned off (--no-trace)' });
    expect(r.headline).toBe('calibrated');
    expect(r.result.samples).toBeGreaterThan(0);
    const text = renderProbeText(r, { histogram: false, verbose: true });
    expect(text).toContain('  engine    throwaway (plain preadv2, a test engine); --engine throwaway\n');
    expect(text).toContain('  polling   not polled: the throwaway engine cannot poll: interrupt completion\n');
  });

  it('reads the right data through the descriptor it was registered with', () => {
    const engine = THROWAWAY.open({ path: file, blockSize: 4096 }, { poll: false });
    try {
      engine.read(4096 * 99);
      expect(engine.data.equals(expectedBlock(4096 * 99))).toBe(true);
    } finally {
      engine.close();
    }
  });

  describe('on the kernel clock', () => {
    let wasMounted: boolean;
    beforeEach(() => {
      wasMounted = tracefsMounted();
    });
    afterEach(() => restoreTracefs(wasMounted));

    it('is traced on the syscall its descriptor names: every traced read is matched', async (ctx) => {
      const why = tracingUnavailable();
      if (why) ctx.skip(why);
      const r = await measureProbe(new Root('/'), settings(), { say: () => {}, nvprobeVersion: 'test' });
      const k = r.kernelClock!;
      expect(k).toMatchObject({ available: true });
      if (!k.available) return;
      // Traced as preadv2: each read the traced slices issued has its syscall entry and exit.
      expect(k.readsIssued).toBeGreaterThan(100);
      expect(k.reads).toBe(k.readsIssued);
      expect(k.unmatched).toBe(0);
      expect(k.totalFrom).toBe('syscall-events');
      expect(k.readsIssued + k.overhead.untracedReads).toBe(r.result.samples);
      expect(r.headline).toBe('native');
      expect(r.engine.name).toBe('throwaway');
    });
  });
});

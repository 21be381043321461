import { join } from 'node:path';
import { release } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openProbeEngine, type ProbeEngineRequest } from '../../src/measure/engine-choice.js';
import { parseKernelRelease } from '../../src/measure/hipri.js';
import { diskTempDir, expectedBlock, writeOffsetFile } from '../helpers/files.js';
import { queueOfFile } from '../helpers/queue.js';

let tmp: ReturnType<typeof diskTempDir>;
let file: string;
let real: { disk: string; ioPoll: boolean };
beforeAll(() => {
  tmp = diskTempDir();
  file = join(tmp.dir, 'engine.dat');
  writeOffsetFile(file, 256);
  real = queueOfFile(file);
});
afterAll(() => tmp.remove());

let sysctlReads = 0;
const request = (over: Partial<ProbeEngineRequest>): ProbeEngineRequest => ({
  choice: 'auto',
  path: file,
  blockSize: 4096,
  hipri: true,
  queue: real,
  kernel: parseKernelRelease(release()),
  ioUringSysctls: () => {
    sysctlReads++;
    return { ioUringDisabled: '0', ioUringGroup: '-1' };
  },
  ...over,
});

function readsRightData(opened: ReturnType<typeof openProbeEngine>): void {
  try {
    opened.engine.read(4096 * 17);
    expect(opened.engine.data.equals(expectedBlock(4096 * 17))).toBe(true);
  } finally {
    opened.engine.close();
  }
}

describe("opening the engine --engine asks for, on this machine's real disk", () => {
  it('io_uring: interrupt completion where the queue has no poll queues, said so', () => {
    const opened = openProbeEngine(request({ choice: 'io_uring' }));
    expect(opened.engine.name).toBe('io_uring');
    expect(opened.requested).toBe('io_uring');
    expect(opened.fallbackReason).toBeNull();
    expect(opened.hipri).toEqual({ requested: false, effective: false, reason: 'not used by the io_uring engine' });
    if (real.ioPoll) {
      expect(opened.polled).toEqual({ polled: true, reason: `IORING_SETUP_IOPOLL on ${real.disk} which has poll queues (queue/io_poll=1)` });
    } else {
      expect(opened.engine.pollRequested).toBe(false);
      expect(opened.polled).toEqual({ polled: false, reason: `${real.disk} has no poll queues (queue/io_poll=0): interrupt completion` });
    }
    readsRightData(opened);
  });

  it('auto: psync2 where the queue has no poll queues, io_uring with IOPOLL where it has', () => {
    const opened = openProbeEngine(request({ choice: 'auto' }));
    expect(opened.engine.name).toBe(real.ioPoll ? 'io_uring' : 'psync2');
    expect(opened.polled.polled).toBe(real.ioPoll);
    expect(opened.fallbackReason).toBeNull();
    readsRightData(opened);
  });

  // The queue's claim of poll queues is taken as given (as a captured tree would show it);
  // the kernel's refusal of the polled reads is real.
  describe('where the queue claims poll queues but the kernel refuses polled reads', () => {
    const claimed = () => ({ disk: real.disk, ioPoll: true });

    it('explicit io_uring measures with interrupt completion and reports the refusal', (ctx) => {
      if (real.ioPoll) ctx.skip(`${real.disk} has poll queues: polled reads really work here, nothing is refused`);
      const opened = openProbeEngine(request({ choice: 'io_uring', queue: claimed() }));
      expect(opened.engine.name).toBe('io_uring');
      expect(opened.engine.pollRequested).toBe(false);
      expect(opened.polled.polled).toBe(false);
      expect(opened.polled.reason).toMatch(/IORING_SETUP_IOPOLL reads of .* were refused \(EOPNOTSUPP\)/);
      readsRightData(opened);
    });

    it('auto falls back to psync2 and says why', (ctx) => {
      if (real.ioPoll) ctx.skip(`${real.disk} has poll queues: polled reads really work here, nothing is refused`);
      sysctlReads = 0;
      const opened = openProbeEngine(request({ choice: 'auto', queue: claimed() }));
      expect(opened.engine.name).toBe('psync2');
      expect(opened.fallbackReason).toMatch(/^io_uring could not be used: polled io_uring reads \(IORING_SETUP_IOPOLL\) of .* fail with EOPNOTSUPP.*; measured with psync2 instead$/);
      expect(sysctlReads).toBe(1);
      readsRightData(opened);
    });
  });
});

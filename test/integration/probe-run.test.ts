import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IoUringEngine } from '../../src/io/io-uring.js';
import { Psync2Engine } from '../../src/io/psync2.js';
import { Histogram } from '../../src/stats/histogram.js';
import { runProbe } from '../../src/measure/probe-run.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';

let tmp: ReturnType<typeof diskTempDir>;
let file: string;
beforeAll(() => {
  tmp = diskTempDir();
  file = join(tmp.dir, 'probe.dat');
  writeOffsetFile(file, 16384); // 64 MiB
});
afterAll(() => tmp.remove());

describe('a probe run on a real file', () => {
  it('calibrates an overhead between 0 and the raw median, and corrects by exactly it', async () => {
    const engine = new Psync2Engine({ path: file, blockSize: 4096, hipri: true });
    try {
      const m = await runProbe({ engine, spanBytes: 16384 * 4096, rampMs: 100, ios: 3000, seed: 1 });
      expect(m.samples).toBe(3000);
      expect(m.overhead.perIoUs).toBeGreaterThan(0);
      expect(m.overhead.perIoUs).toBeLessThan(m.raw.percentilesUs.p50);
      // The empty syscall costs more than a call that never enters the kernel.
      expect(m.overhead.before.emptySyscallUs).toBeGreaterThanOrEqual(0);
      expect(m.corrected.percentilesUs.p50).toBeCloseTo(m.raw.percentilesUs.p50 - m.overhead.perIoUs, 2);
      // An O_DIRECT read through the disk takes longer than a few µs on any VM.
      expect(m.raw.percentilesUs.p50).toBeGreaterThan(5);
      expect(m.raw.minUs).toBeLessThanOrEqual(m.raw.percentilesUs.p1);
      expect(m.raw.percentilesUs.p99).toBeLessThanOrEqual(m.raw.maxUs);
      expect(m.iops).toBeGreaterThan(0);
      expect(m.iopsCorrected).toBeGreaterThanOrEqual(m.iops);
      // The histogram counts every sample and agrees with the exact median within a bucket.
      const h = Histogram.fromJSON(m.histogram);
      expect(h.count).toBe(3000);
      expect(Math.abs(h.percentile(50) / 1000 - m.raw.percentilesUs.p50) / m.raw.percentilesUs.p50).toBeLessThan(0.02);
    } finally {
      engine.close();
    }
  });

  it('works the same through the io_uring engine: calibrated by its own no-kernel call', async () => {
    const engine = new IoUringEngine({ path: file, blockSize: 4096, poll: false });
    try {
      const m = await runProbe({ engine, spanBytes: 16384 * 4096, rampMs: 100, ios: 3000, seed: 2 });
      expect(m.samples).toBe(3000);
      expect(m.overhead.perIoUs).toBeGreaterThan(0);
      expect(m.overhead.perIoUs).toBeLessThan(m.raw.percentilesUs.p50);
      expect(m.overhead.before.ffiUs).toBeLessThan(m.raw.percentilesUs.p50);
      expect(m.corrected.percentilesUs.p50).toBeCloseTo(m.raw.percentilesUs.p50 - m.overhead.perIoUs, 2);
      expect(m.raw.percentilesUs.p50).toBeGreaterThan(5);
    } finally {
      engine.close();
    }
  });
});

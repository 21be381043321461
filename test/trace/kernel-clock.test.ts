import { engineDescriptor } from '../../src/io/engines.js';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Root } from '../../src/host/root.js';
import { IoUringEngine } from '../../src/io/io-uring.js';
import { Psync2Engine } from '../../src/io/psync2.js';
import type { IoEngine } from '../../src/io/engine.js';
import { runProbe } from '../../src/measure/probe-run.js';
import { ProbeTracer } from '../../src/trace/probe-tracer.js';
import type { KernelClockReport } from '../../src/contracts/probe-kernel-clock.js';
import { traceDevices } from '../../src/trace/target-devices.js';
import { NVPROBE } from '../helpers/cli.js';
import { diskTempDir, memTempDir, writeOffsetFile } from '../helpers/files.js';
import { withLoopDevice } from '../helpers/loop-device.js';
import { mountTracefsForTest, nvprobeInstances, restoreTracefs, topLevelEvents, tracefsMounted, tracingUnavailable } from '../helpers/tracefs-state.js';

const BLOCKS = 16384; // 64 MiB
let tmp: ReturnType<typeof diskTempDir>;
let file: string;
let wasMounted: boolean;
let topEventsBefore: string;

beforeAll(() => {
  tmp = diskTempDir();
  file = join(tmp.dir, 'trace.dat');
  writeOffsetFile(file, BLOCKS);
});
afterAll(() => tmp.remove());
beforeEach(() => {
  wasMounted = tracefsMounted();
  topEventsBefore = wasMounted ? topLevelEvents() : '';
});
afterEach(() => restoreTracefs(wasMounted));

function disk(path: string): string | null {
  const out = spawnSync('lsblk', ['-no', 'PKNAME,NAME', path.startsWith('/dev/') ? path : spawnSync('df', ['--output=source', path], { encoding: 'utf8' }).stdout.split('\n')[1]!.trim()], {
    encoding: 'utf8',
  })
    .stdout.trim()
    .split(/\s+/);
  return out.length === 2 ? out[0] || out[1]! : (out[0] ?? null);
}

async function tracedRun(engine: IoEngine, path: string, ios: number): Promise<{ k: KernelClockReport; samples: number }> {
  const tracer = ProbeTracer.open({ syscall: engineDescriptor(engine.name).syscall ?? 'preadv2', who: { pid: process.pid }, devs: traceDevices(new Root('/'), path, disk(path)) });
  let k: KernelClockReport | null = null;
  try {
    const m = await runProbe({ engine, spanBytes: BLOCKS * 4096, rampMs: 50, ios, seed: 7, beforeSlice: tracer.beforeSlice, onSamples: (loop) => (k = tracer.finish(loop)) });
    return { k: k!, samples: m.samples };
  } finally {
    tracer.close();
  }
}

/** After nvprobe: no nvprobe instance, the top-level events untouched, tracefs mounted only if it was. */
function expectTracingRestored(): void {
  expect(nvprobeInstances()).toEqual([]);
  if (wasMounted) expect(topLevelEvents()).toBe(topEventsBefore);
  else expect(tracefsMounted()).toBe(false);
}

function expectPhasesSumToTotal(k: Extract<KernelClockReport, { available: true }>): void {
  const ph = k.phases!;
  const sum = ph.submit.latency.meanUs + ph.device.latency.meanUs + ph.completion.latency.meanUs;
  // Means add exactly over the same reads (those of the all-events slices with block events).
  expect(ph.total!.latency.count).toBe(k.withPhases);
  expect(Math.abs(sum - ph.total!.latency.meanUs) / ph.total!.latency.meanUs).toBeLessThan(0.001);
  // The headline comes from the syscall-only slices, a distinct set of reads.
  expect(k.totalFrom).toBe('syscall-events');
  expect(k.totalReads! + k.phaseSliceReads!).toBe(k.reads);
  expect(k.total.latency.count).toBe(k.totalReads);
  expect(ph.submit.latency.minUs).toBeGreaterThanOrEqual(0);
  expect(ph.completion.latency.minUs).toBeGreaterThanOrEqual(0);
  expect(ph.device.latency.percentilesUs.p50).toBeGreaterThan(0);
  expect(ph.guestSide.meanUs).toBeCloseTo(ph.submit.latency.meanUs + ph.completion.latency.meanUs, 1);
}

describe('kernel-clock tracing of real reads', () => {
  it('times every psync2 read of a file on the root filesystem, in phases that add up, then leaves no trace', async (ctx) => {
    const why = tracingUnavailable();
    if (why) ctx.skip(why);
    const engine = new Psync2Engine({ path: file, blockSize: 4096, hipri: true });
    let run: Awaited<ReturnType<typeof tracedRun>>;
    try {
      run = await tracedRun(engine, file, 3000);
    } finally {
      engine.close();
    }
    const k = run.k;
    expect(k.available).toBe(true);
    if (!k.available) return;
    expect(run.samples).toBe(3000);
    // Every read is in a traced or an untraced round (a slow machine reaches the first off round), and each traced one is timed.
    expect(k.readsIssued + k.overhead.untracedReads).toBe(3000);
    expect(k.readsIssued).toBeGreaterThan(1500);
    expect(k.lostEvents).toBe(0);
    expect(k.reads).toBe(k.readsIssued);
    expect(k.unmatched).toBe(0);
    expect(k.withPhases).toBeGreaterThan(k.phaseSliceReads! * 0.99); // the reads' own block events (a lost one is counted, not hidden)
    expect(k.phases!.requestEvents).toBe(k.withPhases); // vda and ext4: request-based
    expectPhasesSumToTotal(k);
    // The kernel's time lies inside what the process timed: raw minus kernel is positive per read.
    expect(k.outsideSyscall).not.toBeNull();
    expect(k.outsideSyscall!.minUs).toBeGreaterThan(0);
    expectTracingRestored();
  });

  it('times io_uring reads of a loop device by its request events', async (ctx) => {
    const why = tracingUnavailable();
    if (why) ctx.skip(why);
    await withLoopDevice(file, async (dev) => {
      const engine = new IoUringEngine({ path: dev, blockSize: 4096, poll: false });
      let run: Awaited<ReturnType<typeof tracedRun>>;
      try {
        run = await tracedRun(engine, dev, 2000);
      } finally {
        engine.close();
      }
      const k = run.k;
      expect(k.available).toBe(true);
      if (!k.available) return;
      expect(k.readsIssued + k.overhead.untracedReads).toBe(2000);
      expect(k.reads).toBe(k.readsIssued);
      expect(k.withPhases).toBeGreaterThan(k.phaseSliceReads! * 0.99);
      expect(k.phases!.requestEvents).toBe(k.withPhases);
      expectPhasesSumToTotal(k);
    });
    expectTracingRestored();
  });

  it('says why there are no phases for a file with no block device under it', async (ctx) => {
    const why = tracingUnavailable();
    if (why) ctx.skip(why);
    const mem = memTempDir();
    try {
      const f = join(mem.dir, 'tmpfs.dat');
      writeOffsetFile(f, 64);
      if (spawnSync('stat', ['-fc', '%T', f], { encoding: 'utf8' }).stdout.trim() !== 'tmpfs') ctx.skip('the temp dir is not on tmpfs here');
      expect(traceDevices(new Root('/'), f, null)).toEqual([]);
      // The root filesystem's file does have its device (vda's dev_t, in the kernel's encoding).
      expect(traceDevices(new Root('/'), file, null).length).toBeGreaterThan(0);
    } finally {
      mem.remove();
    }
  });

  it('removes the instance of a killed nvprobe (dead pid) at the next start', async (ctx) => {
    const why = tracingUnavailable();
    if (why) ctx.skip(why);
    mountTracefsForTest();
    // A real kill -9: the probe's instance (and its marker) stay behind.
    const killed = spawn(NVPROBE, ['probe', file, '--duration', '60s', '--ramp', '0', '--json'], { stdio: 'ignore' });
    const deadline = Date.now() + 20_000;
    while (!nvprobeInstances().includes(`nvprobe-${killed.pid}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(nvprobeInstances()).toContain(`nvprobe-${killed.pid}`);
    killed.kill('SIGKILL');
    await new Promise((r) => killed.on('exit', r));
    expect(nvprobeInstances()).toContain(`nvprobe-${killed.pid}`);
    mkdirSync('/sys/kernel/tracing/instances/nvprobe-1'); // pid 1 is alive: not ours to remove
    try {
      const tracer = ProbeTracer.open({ syscall: 'preadv2', who: { pid: process.pid }, devs: [] });
      tracer.start();
      const k = tracer.finish();
      expect(k.available).toBe(false); // nothing was read
      expect(nvprobeInstances()).toEqual(['nvprobe-1']);
    } finally {
      // pid 1 is alive, so restoreTracefs leaves its instance: this test made it, this test removes it.
      if (nvprobeInstances().includes('nvprobe-1')) rmdirSync('/sys/kernel/tracing/instances/nvprobe-1');
      restoreTracefs(wasMounted);
    }
    expectTracingRestored();
  });

  it('cleans up its instance on Ctrl-C', async (ctx) => {
    const why = tracingUnavailable();
    if (why) ctx.skip(why);
    const child = spawn(NVPROBE, ['probe', file, '--duration', '60s', '--ramp', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const deadline = Date.now() + 20_000;
    while (!nvprobeInstances().includes(`nvprobe-${child.pid}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(nvprobeInstances()).toContain(`nvprobe-${child.pid}`);
    await new Promise((r) => setTimeout(r, 1000)); // in the measuring loop, events on
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted/);
    expectTracingRestored();
  });
});

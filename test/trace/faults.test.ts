// Tracing when something is wrong: the instance name taken, a dead nvprobe's leftover, an event
// this kernel lacks, a ring buffer too small for the run, a target with no block device, no root.
// Each case goes through nvprobe's own code against the real tracefs and puts tracing back as found.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Psync2Engine } from '../../src/io/psync2.js';
import { runProbe } from '../../src/measure/probe-run.js';
import { kernelClockLines } from '../../src/report/kernel-clock-text.js';
import { MARKER_DIR, TraceInstance, TraceUnavailable } from '../../src/trace/instance.js';
import { ProbeTracer } from '../../src/trace/probe-tracer.js';
import type { KernelClockReport } from '../../src/contracts/probe-kernel-clock.js';
import { runCli } from '../helpers/cli.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';
import { mountTracefsForTest, nvprobeInstances, restoreTracefs, tracefsMounted, tracingUnavailable } from '../helpers/tracefs-state.js';
import { asNobody } from '../helpers/unprivileged.js';

const TRACEFS = '/sys/kernel/tracing';
const BLOCKS = 4096; // 16 MiB
let tmp: ReturnType<typeof diskTempDir>;
let file: string;
let wasMounted: boolean;

beforeAll(() => {
  tmp = diskTempDir();
  chmodSync(tmp.dir, 0o755); // nobody reads it in the unprivileged case
  file = join(tmp.dir, 'faults.dat');
  writeOffsetFile(file, BLOCKS);
  chmodSync(file, 0o644);
});
afterAll(() => tmp.remove());
beforeEach(() => {
  wasMounted = tracefsMounted();
});
afterEach(() => restoreTracefs(wasMounted));

function expectRestored(): void {
  expect(nvprobeInstances()).toEqual([]);
  if (!wasMounted) expect(tracefsMounted()).toBe(false);
}

const SYSCALL_EVENTS = [
  { system: 'syscalls', name: 'sys_enter_preadv2' },
  { system: 'syscalls', name: 'sys_exit_preadv2' },
];

function unavailable(fn: () => unknown): TraceUnavailable {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TraceUnavailable);
    return err as TraceUnavailable;
  }
  throw new Error('expected TraceUnavailable, nothing was thrown');
}

describe('tracing faults', () => {
  it('refuses, in one line, an instance name that is taken, and leaves that instance alone', (ctx) => {
    const why = tracingUnavailable();
    if (why) ctx.skip(why);
    mountTracefsForTest();
    // This process is alive: its name is not a leftover, so nvprobe must not remove it.
    const name = `nvprobe-${process.pid}`;
    mkdirSync(`${TRACEFS}/instances/${name}`);
    try {
      const err = unavailable(() => TraceInstance.create({ events: SYSCALL_EVENTS }));
      expect(err.message).toBe(`the trace instance ${name} already exists and is in use`);
      expect(err.message).not.toContain('\n');
      expect(nvprobeInstances()).toEqual([name]);
    } finally {
      rmdirSync(`${TRACEFS}/instances/${name}`);
      restoreTracefs(wasMounted);
    }
    expectRestored();
  });

  it("removes a killed nvprobe's leftover instance and says so; a nvprobe-<dead pid> someone else made is left alone", (ctx) => {
    const why = tracingUnavailable();
    if (why) ctx.skip(why);
    mountTracefsForTest();
    // A leftover as a kill -9 leaves it: created by nvprobe (marker and all) for a pid now dead, never closed.
    const dead = spawnSync('true').pid!;
    const leftover = TraceInstance.create({ events: SYSCALL_EVENTS, pid: dead });
    // Someone else's directory under the same naming scheme: no marker, so not provably nvprobe's.
    const foreign = spawnSync('true').pid!;
    mkdirSync(`${TRACEFS}/instances/nvprobe-${foreign}`);
    try {
      const inst = TraceInstance.create({ events: SYSCALL_EVENTS });
      try {
        expect(inst.removedLeftovers).toEqual([`nvprobe-${dead}`]);
        expect(nvprobeInstances().sort()).toEqual([inst.name, `nvprobe-${foreign}`].sort());
        expect(existsSync(`${MARKER_DIR}/nvprobe-${dead}`)).toBe(false);
      } finally {
        inst.close();
      }
      expect(existsSync(`${MARKER_DIR}/${inst.name}`)).toBe(false);
    } finally {
      rmdirSync(`${TRACEFS}/instances/nvprobe-${foreign}`);
      leftover.close(); // its process's exit handler, in a real kill -9 never run: a no-op now
      restoreTracefs(wasMounted);
    }
    expectRestored();
  });

  it('names a required event the kernel lacks, and goes on without an optional one', (ctx) => {
    const why = tracingUnavailable();
    if (why) ctx.skip(why);
    const err = unavailable(() => TraceInstance.create({ events: [...SYSCALL_EVENTS, { system: 'syscalls', name: 'sys_enter_no_such_call' }] }));
    expect(err.message).toBe('the kernel has no syscalls:sys_enter_no_such_call tracepoint (CONFIG_FTRACE_SYSCALLS off?)');
    // The half-made instance is gone, and tracefs unmounted if nvprobe mounted it.
    expectRestored();
    const inst = TraceInstance.create({ events: [...SYSCALL_EVENTS, { system: 'power', name: 'no_such_event', optional: true }] });
    try {
      expect(inst.missingOptional).toEqual(['power:no_such_event']);
      expect(inst.events.map((e) => e.name)).toEqual(['sys_enter_preadv2', 'sys_exit_preadv2']);
    } finally {
      inst.close();
    }
    expectRestored();
  });

  it('counts the reads a too-small ring buffer lost: timed + untimed + untraced = issued, overrun reported', async (ctx) => {
    const why = tracingUnavailable();
    if (why) ctx.skip(why);
    const tracer = ProbeTracer.open({ syscall: 'preadv2', who: { pid: process.pid }, devs: [] }, { bufferKb: 4 });
    const engine = new Psync2Engine({ path: file, blockSize: 4096, hipri: true });
    let k: KernelClockReport | null = null;
    let samples = 0;
    try {
      // 50 ms slices of page-cache-free reads: far more events than a few pages per CPU hold.
      const m = await runProbe({ engine, spanBytes: BLOCKS * 4096, rampMs: 0, durationMs: 1200, seed: 3, beforeSlice: tracer.beforeSlice, onSamples: (loop) => (k = tracer.finish(loop)) });
      samples = m.samples;
    } finally {
      engine.close();
      tracer.close();
    }
    const r = k as KernelClockReport | null;
    expect(r).not.toBeNull();
    if (!r?.available) throw new Error(`expected a report with some reads timed: ${r?.available === false ? r.reason : 'none'}`);
    expect(r.lostEvents).toBeGreaterThan(0);
    expect(r.unmatched).toBeGreaterThan(0);
    expect(r.reads).toBeGreaterThan(0);
    // Not one read vanishes: each is timed, counted as untimed, or in an untraced round.
    expect(r.reads + r.unmatched).toBe(r.readsIssued);
    expect(r.readsIssued + r.overhead.untracedReads).toBe(samples);
    const text = kernelClockLines(r).join('\n');
    expect(text).toContain(`${r.lostEvents} events lost, ${r.unmatched} reads UNTIMED`);
    expect(text).toContain(`ring buffer overrun: the kernel-clock figures cover ${r.reads} of ${r.readsIssued} reads`);
    expectRestored();
  });

  it('times a file on tmpfs by its syscall only, and says why there are no phases', async (ctx) => {
    const why = tracingUnavailable();
    if (why) ctx.skip(why);
    const mnt = diskTempDir('nvprobe-tmpfs-');
    let mounted = false;
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'nvprobe-test', mnt.dir]);
      mounted = true;
      const f = join(mnt.dir, 'tmpfs.dat');
      writeOffsetFile(f, 1024);
      const r = await runCli(['probe', f, '--engine', 'psync2', '--duration', '1s', '--ramp', '0', '--json']);
      if (r.code !== 0 && /O_DIRECT|EINVAL/.test(r.stderr)) ctx.skip(`this kernel's tmpfs refuses O_DIRECT: ${r.stderr.trim()}`);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      const k = doc.kernelClock;
      expect(k.available).toBe(true);
      expect(k.noPhasesReason).toMatch(/^the target is not on a block device/);
      expect(k.phases).toBeNull();
      expect(k.reads).toBe(k.readsIssued);
      const text = await runCli(['probe', f, '--engine', 'psync2', '--duration', '1s', '--ramp', '0', '--verbose']);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/\nphases: the target is not on a block device \(tmpfs, overlay or the like\): no block events, only the syscall is timed\n/);
    } finally {
      if (mounted) execFileSync('umount', [mnt.dir]);
      mnt.remove();
      restoreTracefs(wasMounted);
    }
    expectRestored();
  });

  it('falls back to the calibrated clock, with the reason in one line, where tracing is refused (not root)', async (ctx) => {
    const nobody = asNobody(ctx);
    const r = await nobody.run(['probe', file, '--engine', 'psync2', '--duration', '500ms', '--ramp', '0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.headline).toBe('calibrated');
    expect(doc.kernelClock).toEqual({ available: false, reason: 'kernel tracing needs root' });
    const text = await nobody.run(['probe', file, '--engine', 'psync2', '--duration', '500ms', '--ramp', '0', '--verbose']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('  clock     FFI-calibrated (kernel clock unavailable: kernel tracing needs root)\n');
    // The first screen says it too, where the split would be.
    const short = await nobody.run(['probe', file, '--engine', 'psync2', '--duration', '500ms', '--ramp', '0']);
    expect(short.stdout).toContain('  where it goes not split: kernel clock unavailable (kernel tracing needs root)\n');
    expectRestored();
  });
});

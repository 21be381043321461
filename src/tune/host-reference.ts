import { cpuWindow, type CpuTimesReading } from '../host/cpu-times.js';
import type { HostReference } from '../contracts/boot-verdict.js';

/** How far the CPU work's time may move between the boots before the host counts as changed. */
export const HOST_CPU_TOLERANCE = 0.05;
/** How far the steal share may move (absolute) before the host counts as changed. */
export const HOST_STEAL_TOLERANCE = 0.03;

/** A fixed integer workload, a few ms long; the result is returned so that nothing optimises it away. */
function work(): number {
  let x = 0x9e3779b9;
  for (let i = 0; i < 400_000; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x;
}

/**
 * The fastest of `reps` timed runs of the workload, after a few untimed ones (the JIT): a guest
 * process sharing the vCPU stretches some runs, rarely all 31; a slower host stretches every one.
 * (The lower quartile moved by 60 % back to back with two CPU-bound jobs on two vCPUs; the
 * fastest run stayed within 3 %.)
 */
export function cpuWorkNs(reps = 31): number {
  let sink = 0;
  for (let i = 0; i < 3; i++) sink ^= work();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    sink ^= work();
    times.push(Number(process.hrtime.bigint() - t0));
  }
  if (sink === 0.5) throw new Error('unreachable'); // keeps `sink` alive
  times.sort((a, b) => a - b);
  return times[0]!;
}

/** The steal share of all the vCPUs between two readings; null when no tick passed. */
export function stealBetween(a: CpuTimesReading, b: CpuTimesReading): number | null {
  const w = cpuWindow(a, b, 0);
  const total = w.vcpus.reduce((x, v) => x + v.totalTicks, 0);
  return total > 0 ? w.vcpus.reduce((x, v) => x + v.stealTicks, 0) / total : null;
}

/**
 * How the host moved between two references, by direction. A host that got slower (the same CPU
 * work takes longer, more steal) can only lengthen the reads after the reboot: it works against a
 * gain, so a gain measured despite it stands. A host that got faster can shorten them: by at most
 * its CPU speed-up when only the CPU work moved (a read cannot speed up more than all of its work
 * does), by an amount nothing bounds when the steal share dropped (a read waits for a whole
 * descheduled slice, not for its share of one).
 */
export interface HostShift {
  /** after / before of the CPU work's time (1 = same host speed). */
  cpuRatio: number;
  /** What in the host's moves could explain a faster read, in words; null when nothing did. */
  favouring: string | null;
  /** What could explain a slower read (works against a gain), in words; null when nothing did. */
  against: string | null;
  /** The steal share dropped beyond the tolerance: a gain of any size could be the host's. */
  unbounded: boolean;
}

export function hostShift(before: HostReference, after: HostReference): HostShift {
  const favouring: string[] = [];
  const against: string[] = [];
  const cpuRatio = after.cpuWorkNs / before.cpuWorkNs;
  if (Math.abs(cpuRatio - 1) > HOST_CPU_TOLERANCE) {
    const words = `the same CPU work took ${(Math.abs(cpuRatio - 1) * 100).toFixed(1)} % ${cpuRatio > 1 ? 'longer' : 'less time'} (${fmtMs(before.cpuWorkNs)} → ${fmtMs(after.cpuWorkNs)})`;
    (cpuRatio > 1 ? against : favouring).push(words);
  }
  let unbounded = false;
  if (before.stealShare !== null && after.stealShare !== null && Math.abs(after.stealShare - before.stealShare) > HOST_STEAL_TOLERANCE) {
    const words = `steal ${(before.stealShare * 100).toFixed(1)} % → ${(after.stealShare * 100).toFixed(1)} %`;
    if (after.stealShare < before.stealShare) {
      favouring.push(words);
      unbounded = true;
    } else against.push(words);
  }
  return { cpuRatio, favouring: favouring.length ? favouring.join(', ') : null, against: against.length ? against.join(', ') : null, unbounded };
}

const fmtMs = (ns: number) => `${(ns / 1e6).toFixed(2)} ms`;

import type { Root } from '../host/root.js';
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

/** The aggregate cpu line of /proc/stat: total and steal jiffies, or null. */
export function cpuTimes(root: Root): { total: number; steal: number } | null {
  const line = (root.text('/proc/stat') ?? '').split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  if (f.length < 8 || f.some((x) => !Number.isFinite(x))) return null;
  // user nice system idle iowait irq softirq steal [guest guest_nice: already in user/nice]
  return { total: f.slice(0, 8).reduce((a, b) => a + b, 0), steal: f[7]! };
}

/** Steal share between two readings of cpuTimes; null when either is missing or no time passed. */
export function stealBetween(a: ReturnType<typeof cpuTimes>, b: ReturnType<typeof cpuTimes>): number | null {
  if (!a || !b || b.total <= a.total) return null;
  return (b.steal - a.steal) / (b.total - a.total);
}

/** Whether the host moved between two references, and how, in words; null when it did not. */
export function hostChange(before: HostReference, after: HostReference): string | null {
  const parts: string[] = [];
  const cpu = after.cpuWorkNs / before.cpuWorkNs;
  if (Math.abs(cpu - 1) > HOST_CPU_TOLERANCE)
    parts.push(`the same CPU work took ${((cpu - 1) * 100).toFixed(1)} % ${cpu > 1 ? 'longer' : 'less'} (${fmtMs(before.cpuWorkNs)} → ${fmtMs(after.cpuWorkNs)})`);
  if (before.stealShare !== null && after.stealShare !== null && Math.abs(after.stealShare - before.stealShare) > HOST_STEAL_TOLERANCE) {
    parts.push(`steal ${(before.stealShare * 100).toFixed(1)} % → ${(after.stealShare * 100).toFixed(1)} %`);
  }
  return parts.length ? parts.join(', ') : null;
}

const fmtMs = (ns: number) => `${(ns / 1e6).toFixed(2)} ms`;

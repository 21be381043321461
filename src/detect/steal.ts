import type { CpuCost } from '../contracts/cpu-cost.js';
import type { Snapshot } from '../contracts/detect-document.js';
import type { StealInfo, StealWindow, VcpuSteal } from '../contracts/detect-steal.js';
import { parseProcStatCpus } from '../host/cpu-times.js';
import type { SysReader } from './reader.js';

/** /proc/stat counts in ticks of 1/USER_HZ s, and USER_HZ is 100 wherever nvprobe runs. */
const TICKS_PER_SECOND = 100;

const NO_MEASUREMENT = 'since boot, no measurement ran';

/**
 * Steal since boot, per vCPU, from /proc/stat. A tree captured before nvprobe read /proc/stat
 * has none: steal is then unknown, not zero (and not noted: the tree is older, not unreadable).
 */
export function detectSteal(r: SysReader): StealInfo {
  const text = r.text('/proc/stat', true);
  const sinceBoot = text === null ? null : stealSinceBoot(text);
  return {
    window: sinceBoot ? 'since-boot' : null,
    windowText: sinceBoot ? NO_MEASUREMENT : 'not known: no /proc/stat was read',
    maxPct: sinceBoot?.maxPct ?? null,
    maxCpu: sinceBoot?.maxCpu ?? null,
    sinceBoot,
    run: null,
  };
}

/**
 * Each vCPU's steal ticks over all its ticks. Rounded to 0.1 %: an average over the whole uptime
 * needs no finer step, and a coarser one holds still between two reads of a live machine.
 */
export function stealSinceBoot(procStat: string): StealWindow | null {
  const cpus = [...parseProcStatCpus(procStat)].filter(([, t]) => t.totalTicks > 0);
  if (cpus.length === 0) return null;
  const perCpu = cpus.map(([cpu, t]) => ({ cpu, pct: Math.round((1000 * t.stealTicks) / t.totalTicks) / 10 }));
  return { seconds: Math.round(cpus[0]![1].totalTicks / TICKS_PER_SECOND), ...worst(perCpu), perCpu };
}

/**
 * The Snapshot with a measured run's steal put in (`what` names the measurement, e.g. "collect's
 * probe"): the rule then judges the run, the window the measured latency came from. Since boot
 * stays beside it. A run without vCPU figures leaves the Snapshot as it is.
 */
export function withRunSteal(s: Snapshot, cpu: CpuCost | null | undefined, what: string): Snapshot {
  if (!cpu || cpu.vcpus.length === 0) return s;
  const perCpu = cpu.vcpus.map((v) => ({ cpu: v.cpu, pct: Math.round(v.steal * 10000) / 100 }));
  const run = { seconds: cpu.seconds, ...worst(perCpu), perCpu, reads: cpu.reads, perReadUs: cpu.stealPerReadUs };
  return {
    ...s,
    steal: { ...s.steal, window: 'run', windowText: `during ${what}, ${cpu.seconds.toFixed(1)} s of reads`, maxPct: run.maxPct, maxCpu: run.maxCpu, run },
  };
}

function worst(perCpu: VcpuSteal[]): { maxPct: number; maxCpu: number } {
  const top = perCpu.reduce((a, b) => (b.pct > a.pct ? b : a));
  return { maxPct: top.pct, maxCpu: top.cpu };
}

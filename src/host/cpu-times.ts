import type { Root } from './root.js';
import type { CpuWindow, VcpuTicks } from '../contracts/cpu-cost.js';

/** One reading of the CPU accounting: per-vCPU /proc/stat ticks, POLL time, and this process's CPU time. */
export interface CpuTimesReading {
  atUs: number;
  process: { userUs: number; systemUs: number } | null;
  vcpus: Map<number, Omit<VcpuTicks, 'cpu'>>;
}

/**
 * The per-CPU lines of /proc/stat (parseProcStatCpus) and each CPU's POLL idle-state time.
 * The lines list the online CPUs, so no CPU list is needed. `process` is this process's own CPU
 * time on a live system only: a captured tree's process is not ours.
 */
export function readCpuTimes(root: Root, atUs = performance.now() * 1000): CpuTimesReading {
  const vcpus = new Map<number, Omit<VcpuTicks, 'cpu'>>();
  for (const [cpu, t] of parseProcStatCpus(root.text('/proc/stat') ?? '')) vcpus.set(cpu, { ...t, pollUs: pollTimeUs(root, cpu) });
  const usage = root.live ? process.cpuUsage() : null;
  return { atUs, process: usage && { userUs: usage.user, systemUs: usage.system }, vcpus };
}

/**
 * Each CPU's tick counts from /proc/stat's per-CPU lines (user nice system idle iowait irq softirq
 * steal [guest guest_nice]; guest time is already counted in user and nice). A damaged line is
 * left out, not read as zero.
 */
export function parseProcStatCpus(text: string): Map<number, Omit<VcpuTicks, 'cpu' | 'pollUs'>> {
  const cpus = new Map<number, Omit<VcpuTicks, 'cpu' | 'pollUs'>>();
  for (const line of text.split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    if (f.length < 8 || f.slice(0, 8).some((x) => !Number.isFinite(x))) continue;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
    const busyTicks = user + nice + system + irq + softirq;
    const idleTicks = idle + iowait;
    cpus.set(Number(m[1]), { busyTicks, idleTicks, stealTicks: steal, totalTicks: busyTicks + idleTicks + steal });
  }
  return cpus;
}

/** µs one CPU has spent in its cpuidle POLL state, or null when it has none. */
export function pollTimeUs(root: Root, cpu: number): number | null {
  const dir = `/sys/devices/system/cpu/cpu${cpu}/cpuidle`;
  for (const state of root.list(dir)) {
    if (root.attr(`${dir}/${state}/name`) !== 'POLL') continue;
    const t = Number(root.attr(`${dir}/${state}/time`));
    return Number.isFinite(t) ? t : null;
  }
  return null;
}

/** The deltas between two readings, for the vCPUs in both (a CPU going offline drops out). */
export function cpuWindow(a: CpuTimesReading, b: CpuTimesReading, reads: number): CpuWindow {
  const vcpus: VcpuTicks[] = [];
  for (const [cpu, x] of a.vcpus) {
    const y = b.vcpus.get(cpu);
    if (!y) continue;
    vcpus.push({
      cpu,
      busyTicks: y.busyTicks - x.busyTicks,
      idleTicks: y.idleTicks - x.idleTicks,
      stealTicks: y.stealTicks - x.stealTicks,
      totalTicks: y.totalTicks - x.totalTicks,
      pollUs: x.pollUs !== null && y.pollUs !== null ? y.pollUs - x.pollUs : null,
    });
  }
  const proc = a.process && b.process ? { user: b.process.userUs - a.process.userUs, system: b.process.systemUs - a.process.systemUs } : null;
  return { wallUs: b.atUs - a.atUs, reads, processUserUs: proc?.user ?? null, processSystemUs: proc?.system ?? null, vcpus: vcpus.sort((p, q) => p.cpu - q.cpu) };
}

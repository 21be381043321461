import type { CpuCost, CpuWindow, VcpuTicks } from '../contracts/cpu-cost.js';

const r4 = (x: number) => Math.round(x * 10000) / 10000;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * A window's shares and per-read figures. Busy and steal are tick ratios per vCPU (the tick
 * length cancels); polling is µs over the window's wall time. A vCPU polling in the POLL idle
 * state is idle to /proc/stat but busy to the host, so busyShare adds the two.
 */
export function summarizeCpu(w: CpuWindow): CpuCost {
  const vcpus = w.vcpus.map((v) => ({
    cpu: v.cpu,
    busy: v.totalTicks > 0 ? r4(v.busyTicks / v.totalTicks) : 0,
    poll: v.pollUs === null || w.wallUs <= 0 ? null : r4(Math.min(1, Math.max(0, v.pollUs / w.wallUs))),
    steal: v.totalTicks > 0 ? r4(v.stealTicks / v.totalTicks) : 0,
  }));
  const sum = (f: (v: (typeof vcpus)[number]) => number) => vcpus.reduce((a, v) => a + f(v), 0);
  const busyVcpus = sum((v) => v.busy);
  const hasPoll = vcpus.some((v) => v.poll !== null);
  const pollVcpus = hasPoll ? sum((v) => v.poll ?? 0) : null;
  const stealVcpus = sum((v) => v.steal);
  const reads = Math.max(w.reads, 0);
  const perRead = (us: number | null) => (us === null || reads === 0 ? null : r3(us / reads));
  const user = perRead(w.processUserUs);
  const system = perRead(w.processSystemUs);
  return {
    seconds: r3(w.wallUs / 1e6),
    reads,
    perReadUs: user === null || system === null ? null : { user, system },
    busyVcpus: r4(busyVcpus),
    pollVcpus: pollVcpus === null ? null : r4(pollVcpus),
    stealVcpus: r4(stealVcpus),
    busyShare: vcpus.length ? r4(Math.min(1, (busyVcpus + (pollVcpus ?? 0)) / vcpus.length)) : 0,
    maxStealShare: vcpus.length ? Math.max(...vcpus.map((v) => v.steal)) : 0,
    stealPerReadUs: reads > 0 ? r3((stealVcpus * w.wallUs) / reads) : 0,
    vcpus,
    window: w,
  };
}

/** Windows added up (a tune arm's rounds): wall time, reads, process time and each vCPU's deltas. */
export function mergeCpuWindows(ws: CpuWindow[]): CpuWindow | null {
  if (ws.length === 0) return null;
  const byCpu = new Map<number, VcpuTicks>();
  let wallUs = 0;
  let reads = 0;
  let user: number | null = 0;
  let system: number | null = 0;
  for (const w of ws) {
    wallUs += w.wallUs;
    reads += w.reads;
    user = user === null || w.processUserUs === null ? null : user + w.processUserUs;
    system = system === null || w.processSystemUs === null ? null : system + w.processSystemUs;
    for (const v of w.vcpus) {
      const t = byCpu.get(v.cpu);
      if (!t) byCpu.set(v.cpu, { ...v });
      else {
        t.busyTicks += v.busyTicks;
        t.idleTicks += v.idleTicks;
        t.stealTicks += v.stealTicks;
        t.totalTicks += v.totalTicks;
        t.pollUs = t.pollUs === null || v.pollUs === null ? null : t.pollUs + v.pollUs;
      }
    }
  }
  return { wallUs, reads, processUserUs: user, processSystemUs: system, vcpus: [...byCpu.values()].sort((a, b) => a.cpu - b.cpu) };
}

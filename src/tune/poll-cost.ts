import type { Root } from '../host/root.js';
import { cpuWindow, readCpuTimes } from '../host/cpu-times.js';
import { summarizeCpu } from '../stats/cpu-cost.js';

/**
 * tune's default cap on the idle polling share, in % of a vCPU (README, "What polling costs"):
 * halt polling adapts its window to the wake-ups that come in time, so on a guest where it pays
 * the idle share stays at a few tenths of a percent; above 5 % the vCPU mostly spins for
 * wake-ups that do not come, and a host that overcommits pays one vCPU in twenty for nothing.
 */
export const DEFAULT_MAX_IDLE_POLL_PERCENT = 5;

/**
 * The share of CPU time spent polling during an idle window: what halt polling costs the host
 * when the guest has nothing to do (the vCPU looks busy to the host while it polls). A share of
 * all the vCPUs' time; null where no vCPU has a POLL idle state.
 */
export async function idlePollShare(root: Root, windowMs: number): Promise<number | null> {
  const before = readCpuTimes(root);
  await new Promise((r) => setTimeout(r, windowMs));
  const cost = summarizeCpu(cpuWindow(before, readCpuTimes(root), 0));
  if (cost.pollVcpus === null || cost.vcpus.length === 0) return null;
  return Math.round((cost.pollVcpus / cost.vcpus.length) * 10000) / 10000;
}

import type { Root } from '../host/root.js';
import { cpuWindow, readCpuTimes } from '../host/cpu-times.js';
import { summarizeCpu } from '../stats/cpu-cost.js';

/** How long `probe` stays idle after its reads to see what halt polling costs when nothing happens. */
export const IDLE_POLL_WINDOW_MS = 500;

/**
 * The share of CPU time spent polling during an idle window: what halt polling costs the host
 * when the guest has nothing to do (the vCPU looks busy to the host while it polls). A share of
 * all the vCPUs' time; null at once, without waiting, where no vCPU has a POLL idle state.
 */
export async function idlePollShare(root: Root, windowMs: number, signal?: AbortSignal): Promise<number | null> {
  const before = readCpuTimes(root);
  // Without a POLL state nothing polls while idle: nothing to wait for.
  if (![...before.vcpus.values()].some((v) => v.pollUs !== null)) return null;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, windowMs);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
  if (signal?.aborted) return null;
  const cost = summarizeCpu(cpuWindow(before, readCpuTimes(root), 0));
  if (cost.pollVcpus === null || cost.vcpus.length === 0) return null;
  return Math.round((cost.pollVcpus / cost.vcpus.length) * 10000) / 10000;
}

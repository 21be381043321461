import { parseCpuList } from '../detect/cpu-list.js';
import type { Root } from '../host/root.js';

/** Total µs all online CPUs have spent in the cpuidle POLL state (busy polling while idle). */
export function pollTimeUs(root: Root): number | null {
  const cpus = parseCpuList(root.attr('/sys/devices/system/cpu/online')) ?? [];
  let total = 0;
  let found = false;
  for (const cpu of cpus) {
    const dir = `/sys/devices/system/cpu/cpu${cpu}/cpuidle`;
    for (const state of root.list(dir)) {
      if (root.attr(`${dir}/${state}/name`) !== 'POLL') continue;
      const t = Number(root.attr(`${dir}/${state}/time`));
      if (Number.isFinite(t)) {
        total += t;
        found = true;
      }
    }
  }
  return found ? total : null;
}

/**
 * The share of CPU time spent polling during an idle window: what halt polling costs the host
 * when the guest has nothing to do (the vCPU looks busy to the host while it polls).
 */
export async function idlePollShare(root: Root, windowMs: number): Promise<number | null> {
  const cpus = (parseCpuList(root.attr('/sys/devices/system/cpu/online')) ?? []).length;
  const before = pollTimeUs(root);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, windowMs));
  const elapsedUs = (performance.now() - t0) * 1000;
  const after = pollTimeUs(root);
  if (before === null || after === null || cpus === 0) return null;
  return Math.round(((after - before) / (elapsedUs * cpus)) * 10000) / 10000;
}

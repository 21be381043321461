import { parseCpuList } from './cpu-list.js';
import type { SysReader } from './reader.js';
import type { NumaNode, CpuTopology } from '../contracts/detect-cpus.js';

const CPU = '/sys/devices/system/cpu';

export function detectCpus(r: SysReader): CpuTopology {
  const cpuList = (path: string, optional = false) => r.parse(path, optional, parseCpuList);
  const numaNodes: NumaNode[] = [];
  for (const entry of r.list('/sys/devices/system/node')) {
    const m = /^node(\d+)$/.exec(entry);
    if (!m) continue;
    const cpus = cpuList(`/sys/devices/system/node/${entry}/cpulist`);
    if (cpus !== null) numaNodes.push({ node: Number(m[1]), cpus });
  }
  return {
    online: cpuList(`${CPU}/online`),
    possible: cpuList(`${CPU}/possible`),
    numaNodes,
    isolated: cpuList(`${CPU}/isolated`, true),
    nohzFull: r.parse(`${CPU}/nohz_full`, true, parseNohzFull),
  };
}

/**
 * Without nohz_full= the kernel's mask was never allocated, and kernels such as Debian's 6.1
 * (CONFIG_CPUMASK_OFFSTACK) print the NULL mask as "(null)": no nohz_full CPUs.
 */
function parseNohzFull(text: string): number[] | null {
  return text === '(null)' ? [] : parseCpuList(text);
}

/** The cpuN directories that exist (online or not), in numeric order. */
export function cpuDirectories(r: SysReader): number[] {
  return r
    .list(CPU)
    .map((e) => /^cpu(\d+)$/.exec(e))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

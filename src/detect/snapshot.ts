import { SNAPSHOT_SCHEMA_VERSION, type Snapshot, type Unavailable } from '../contracts/detect-document.js';
import type { Root } from '../host/root.js';
import { parseCpuinfo } from './cpuinfo.js';
import { detectCpuidle } from './cpuidle.js';
import { detectCpus } from './cpus.js';
import { detectDriverModules } from './driver-modules.js';
import { diskContext, diskNames, readDisk } from './disks.js';
import { detectHypervisor } from './hypervisor.js';
import { detectKernel } from './kernel.js';
import { detectMachine } from './machine.js';
import { SysReader } from './reader.js';
import { detectSteal } from './steal.js';

export function detectSnapshot(root: Root): Snapshot {
  const r = new SysReader(root);
  const cpuinfoText = r.text('/proc/cpuinfo');
  const cpuinfo = cpuinfoText === null ? null : parseCpuinfo(cpuinfoText);
  const ctx = diskContext(r);
  const disks = diskNames(r).map((name) => readDisk(r, name, ctx));
  return {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    machine: detectMachine(r, cpuinfo),
    kernel: detectKernel(r),
    hypervisor: detectHypervisor(r, cpuinfo),
    cpus: detectCpus(r),
    cpuidle: detectCpuidle(r),
    steal: detectSteal(r),
    disks,
    rootFs: ctx.rootFs,
    driverModules: detectDriverModules(r, disks),
    unavailable: dedupe(r.unavailable),
  };
}

function dedupe(list: Unavailable[]): Unavailable[] {
  const seen = new Map<string, Unavailable>();
  for (const u of list) if (!seen.has(u.path)) seen.set(u.path, u);
  return [...seen.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

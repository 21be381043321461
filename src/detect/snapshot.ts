import type { Root } from '../host/root.js';
import { parseCpuinfo } from './cpuinfo.js';
import { detectCpuidle, type CpuidleInfo } from './cpuidle.js';
import { detectCpus, type CpuTopology } from './cpus.js';
import { detectDriverModules, type DriverModules } from './driver-modules.js';
import { diskContext, diskNames, readDisk, type DiskInfo } from './disks.js';
import { detectHypervisor, type HypervisorInfo } from './hypervisor.js';
import { detectKernel, type KernelInfo } from './kernel.js';
import { detectMachine, type MachineInfo } from './machine.js';
import { SysReader, type Unavailable } from './reader.js';
import type { RootFsInfo } from './root-fs.js';

/** Bumped when a field changes meaning or disappears; adding fields keeps it. */
export const SNAPSHOT_SCHEMA_VERSION = 1;

/**
 * Everything nvprobe knows about a machine before measuring: plain data, JSON-able, read
 * entirely through a Root so that a live system and a captured tree give the same result.
 */
export interface Snapshot {
  schemaVersion: typeof SNAPSHOT_SCHEMA_VERSION;
  machine: MachineInfo;
  kernel: KernelInfo;
  hypervisor: HypervisorInfo;
  cpus: CpuTopology;
  cpuidle: CpuidleInfo;
  /** Every entry of /sys/block (loop, zram and dm included), natural order. */
  disks: DiskInfo[];
  rootFs: RootFsInfo | null;
  /** Parameters of the storage driver modules the disks use (poll_queues, io_queue_depth...). */
  driverModules: DriverModules;
  /** Why values are null: each file that could not be read or parsed, sorted by path. */
  unavailable: Unavailable[];
}

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

import type { CpuidleInfo, CpuTopology } from './detect-cpus.js';
import type { DiskInfo } from './detect-disks.js';
import type { StealInfo } from './detect-steal.js';
import type { DriverModules, HypervisorInfo, KernelInfo, MachineInfo, RootFsInfo } from './detect-system.js';

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
  /** The host's share of the vCPUs (steal): since boot, and over a measurement's reads where one ran. */
  steal: StealInfo;
  /** Parameters of the storage driver modules the disks use (poll_queues, io_queue_depth...). */
  driverModules: DriverModules;
  /** Why values are null: each file that could not be read or parsed, sorted by path. */
  unavailable: Unavailable[];
}

/** Why a value in the Snapshot is null: the file it comes from, and what went wrong. */
export interface Unavailable {
  path: string;
  reason: ReadFailure | 'unparsable';
  detail: string;
}

/** Why an attribute could not be read: the tree lacks it, or the kernel refused. */
export type ReadFailure = 'missing' | 'denied' | 'io-error' | 'not-a-file';

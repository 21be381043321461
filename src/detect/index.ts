// The detection layer's public surface: the Snapshot and the single-disk helpers the probe uses.
export { detectSnapshot, SNAPSHOT_SCHEMA_VERSION, type Snapshot } from './snapshot.js';
export { detectDisk, type DiskInfo, type PciFunction } from './disks.js';
export { blockDeviceForDevno, diskNameForDevno, findRootFsDevice, splitDevno, type RootFsInfo } from './root-fs.js';
export { kernelAtLeast, parseKernelVersion, type KernelInfo, type KernelVersion } from './kernel.js';
export { formatCpuList, parseCpuList } from './cpu-list.js';
export type { Transport } from './disk-transport.js';
export type { HypervisorInfo, HypervisorKind } from './hypervisor.js';
export type { CpuidleInfo } from './cpuidle.js';
export type { HaltpollInfo } from './haltpoll.js';
export type { Unavailable } from './reader.js';

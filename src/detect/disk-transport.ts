import type { SysReader } from './reader.js';
import type { Transport } from '../contracts/detect-disks.js';

/** Where the disk sits and which ancestors matter, all as canonical guest paths. */
export interface DeviceChain {
  /** Canonical directory of /sys/block/NAME, e.g. /sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda. */
  sysPath: string | null;
  transport: Transport;
  /** The ancestor or attribute that decided transport. */
  evidence: string;
  /** Driver bound to the nearest ancestor that has one (virtio_blk, nvme, sd, vbd...). */
  driver: string | null;
  /** SCSI host adapter (scsi_host/hostN/proc_name): virtio_scsi, storvsc, ahci... */
  scsiHost: string | null;
  pciDir: string | null;
  virtioDir: string | null;
  nvmeControllerDir: string | null;
  /** The device whose mq/ holds the hardware queues (a path device for an NVMe multipath head). */
  queueDir: string | null;
  multipathPaths: string[];
}

const PCI_ADDRESS = /^[0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;
const SCSI_TARGET = /^target\d+:\d+:\d+$/;

export function resolveDeviceChain(r: SysReader, name: string): DeviceChain {
  const link = `/sys/block/${name}`;
  const sysPath = r.root.isDir(link) ? r.root.realpath(link) : null;
  const chain: DeviceChain = {
    sysPath,
    transport: 'unknown',
    evidence: sysPath === null ? `${link} does not resolve to a directory` : 'no known ancestor',
    driver: null,
    scsiHost: null,
    pciDir: null,
    virtioDir: null,
    nvmeControllerDir: null,
    queueDir: sysPath,
    multipathPaths: [],
  };
  if (sysPath === null) {
    r.note(link, 'missing', 'disk vanished or link dangling');
    return chain;
  }
  let devicePath = sysPath;
  // An NVMe multipath head lives under nvme-subsystem; its hardware is behind its path devices.
  if (sysPath.includes('/nvme-subsystem/')) {
    const paths = nvmePathDevices(r, name, sysPath);
    chain.multipathPaths = paths.map((p) => p.slice(p.lastIndexOf('/') + 1));
    if (paths[0] !== undefined) {
      devicePath = paths[0];
      chain.queueDir = devicePath;
    }
  }
  const parts = devicePath.split('/');
  const ancestors = parts
    .slice(0, -1)
    .map((_, i) => parts.slice(0, i + 1).join('/'))
    .filter((p) => p.startsWith('/sys/devices/'));
  for (const dir of ancestors) {
    const base = dir.slice(dir.lastIndexOf('/') + 1);
    if (PCI_ADDRESS.test(base)) chain.pciDir = dir;
    if (/^virtio\d+$/.test(base)) chain.virtioDir = dir;
    if (/^nvme\d+$/.test(base) && dir.endsWith(`/nvme/${base}`)) chain.nvmeControllerDir = dir;
  }
  chain.driver = nearestDriver(r, ancestors);
  Object.assign(chain, classify(r, name, sysPath, ancestors, chain));
  return chain;
}

/**
 * The hidden path devices (nvmeXcYnZ) of an NVMe multipath head nvmeXnZ: from the head's
 * multipath/ links where the kernel has them, else under each controller linked from the subsystem.
 */
function nvmePathDevices(r: SysReader, name: string, sysPath: string): string[] {
  const listed = r.list(`${sysPath}/multipath`);
  if (listed.length > 0) return listed.map((p) => r.root.realpath(`${sysPath}/multipath/${p}`));
  const m = /^nvme(\d+)n(\d+)$/.exec(name);
  if (!m) return [];
  const subsystem = sysPath.slice(0, sysPath.lastIndexOf('/'));
  return r
    .list(subsystem)
    .filter((e) => /^nvme\d+$/.test(e))
    .map((ctrl) => `${r.root.realpath(`${subsystem}/${ctrl}`)}/nvme${m[1]}c${ctrl.slice(4)}n${m[2]}`)
    .filter((path) => r.root.isDir(path));
}

function nearestDriver(r: SysReader, ancestors: string[]): string | null {
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const target = r.root.readlink(`${ancestors[i]}/driver`);
    if (target !== null) return target.slice(target.lastIndexOf('/') + 1);
  }
  return null;
}

function classify(r: SysReader, name: string, sysPath: string, ancestors: string[], c: DeviceChain): Pick<DeviceChain, 'transport' | 'evidence' | 'scsiHost'> {
  const has = (re: RegExp) => ancestors.map((a) => a.slice(a.lastIndexOf('/') + 1)).find((b) => re.test(b));
  if (r.root.isDir(`${sysPath}/dm`)) return { transport: 'dm', evidence: `${sysPath}/dm exists (device-mapper)`, scsiHost: null };
  if (r.root.isDir(`${sysPath}/md`)) return { transport: 'md', evidence: `${sysPath}/md exists (software RAID)`, scsiHost: null };
  if (sysPath.startsWith('/sys/devices/virtual/block/')) {
    const kinds: Array<[RegExp, Transport]> = [
      [/^loop\d+$/, 'loop'],
      [/^zram\d+$/, 'zram'],
      [/^nbd\d+$/, 'nbd'],
      [/^ram\d+$/, 'ram'],
    ];
    const match = kinds.find(([re]) => re.test(name));
    return { transport: match ? match[1] : 'virtual', evidence: `virtual block device ${sysPath}`, scsiHost: null };
  }
  if (c.nvmeControllerDir !== null || sysPath.includes('/nvme-subsystem/')) {
    return { transport: 'nvme', evidence: `NVMe controller ${c.nvmeControllerDir ?? sysPath}`, scsiHost: null };
  }
  const vbd = has(/^vbd-\d+$/);
  if (vbd) return { transport: 'xen-blkfront', evidence: `Xen virtual block device ${vbd}`, scsiHost: null };
  if (has(SCSI_TARGET)) return classifyScsi(r, ancestors, c);
  if (c.virtioDir !== null) return { transport: 'virtio-blk', evidence: `block device of ${c.virtioDir}${c.driver ? ` (driver ${c.driver})` : ''}`, scsiHost: null };
  const mmc = has(/^mmc\d+:[0-9a-f]+$/);
  if (mmc) return { transport: 'mmc', evidence: `MMC card ${mmc}`, scsiHost: null };
  return { transport: 'unknown', evidence: `no known ancestor in ${sysPath}`, scsiHost: null };
}

function classifyScsi(r: SysReader, ancestors: string[], c: DeviceChain): Pick<DeviceChain, 'transport' | 'evidence' | 'scsiHost'> {
  const hostDir = ancestors.find((a) => /\/host\d+$/.test(a));
  const hostName = hostDir?.slice(hostDir.lastIndexOf('/') + 1);
  const procName = hostDir ? r.optional(`${hostDir}/scsi_host/${hostName}/proc_name`) : null;
  const via = procName ? `SCSI host ${hostName} (${procName})` : `SCSI host ${hostName ?? 'unknown'}`;
  if (procName === 'virtio_scsi' || (procName === null && c.virtioDir !== null)) return { transport: 'virtio-scsi', evidence: via, scsiHost: procName };
  if (procName === 'storvsc' || ancestors.some((a) => a.includes('/VMBUS:'))) return { transport: 'hyperv-storvsc', evidence: via, scsiHost: procName };
  if (ancestors.some((a) => /\/usb\d+$/.test(a))) return { transport: 'usb', evidence: via, scsiHost: procName };
  if (ancestors.some((a) => /\/ata\d+$/.test(a))) return { transport: 'ata', evidence: via, scsiHost: procName };
  return { transport: 'scsi', evidence: via, scsiHost: procName };
}

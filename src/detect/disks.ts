import type { Root } from '../host/root.js';
import { parseCpuList } from './cpu-list.js';
import { detectQueueIrqs } from './disk-irqs.js';
import { detectQueues, detectQueueSettings } from './disk-queues.js';
import { detectStack } from './disk-stack.js';
import { resolveDeviceChain } from './disk-transport.js';
import { parseInterrupts, type InterruptTable } from './interrupts.js';
import { detectNvme } from './nvme-controller.js';
import { SysReader } from './reader.js';
import { detectRootFs } from './root-fs.js';
import type { RootFsInfo } from '../contracts/detect-system.js';
import { detectVirtio } from './virtio-features.js';
import type { PciFunction, DiskInfo } from '../contracts/detect-disks.js';

/** What all disks share: read once per Snapshot. */
export interface DiskContext {
  interrupts: InterruptTable | null;
  rootFs: RootFsInfo | null;
  /** Backing disks of the root device when it is a dm/md stack. */
  rootStack: string[];
}

export function diskContext(r: SysReader): DiskContext {
  const text = r.text('/proc/interrupts');
  const rootFs = detectRootFs(r);
  const rootStack = rootFs?.disk ? detectStack(new SysReader(r.root), rootFs.disk, r.root.isDir(`/sys/block/${rootFs.disk}`) ? r.root.realpath(`/sys/block/${rootFs.disk}`) : null).backingDisks : [];
  return { interrupts: text === null ? null : parseInterrupts(text), rootFs, rootStack };
}

/** Names in /sys/block, natural order. */
export function diskNames(r: SysReader): string[] {
  return r.list('/sys/block');
}

export function readDisk(r: SysReader, name: string, ctx: DiskContext): DiskInfo {
  const block = `/sys/block/${name}`;
  const chain = resolveDeviceChain(r, name);
  const dir = chain.sysPath ?? block;
  const pci = chain.pciDir === null ? null : readPci(r, chain.pciDir);
  const deviceDir = chain.nvmeControllerDir ?? `${chain.queueDir ?? dir}/device`;
  const model = r.optional(`${deviceDir}/model`) ?? r.optional(`${deviceDir}/name`);
  const sectors = r.int(`${dir}/size`);
  const stack = detectStack(r, name, chain.sysPath);
  const info: DiskInfo = {
    name,
    dev: r.attr(`${dir}/dev`),
    sysPath: chain.sysPath,
    transport: chain.transport,
    transportEvidence: chain.evidence,
    driver: chain.driver,
    scsiHost: chain.scsiHost,
    model,
    vendor: chain.scsiHost === null ? null : r.optional(`${dir}/device/vendor`),
    ids: {
      // virtio-blk shows an empty serial file when the host gave the disk none.
      serial: nonEmpty(r.optional(`${dir}/serial`)) ?? nonEmpty(r.optional(`${deviceDir}/serial`)),
      wwid: r.optional(`${chain.queueDir ?? dir}/wwid`) ?? r.optional(`${dir}/device/wwid`),
    },
    sizeBytes: sectors === null ? null : sectors * 512,
    readOnly: r.bool(`${dir}/ro`),
    removable: r.bool(`${dir}/removable`),
    pci,
    numaNode: pci?.numaNode ?? null,
    nvme: chain.nvmeControllerDir === null ? null : detectNvme(r, chain.nvmeControllerDir, model, pci, chain.multipathPaths),
    virtio: chain.virtioDir === null ? null : detectVirtio(r, chain.virtioDir, chain.transport === 'virtio-blk'),
    queues: detectQueues(r, chain.transport, chain.queueDir, dir),
    settings: detectQueueSettings(r, dir),
    irqs: [],
    stack,
    rootFs: rootRole(name, ctx),
    vanished: false,
  };
  info.irqs = detectQueueIrqs(r, ctx.interrupts, {
    virtioDevice: info.virtio?.device ?? null,
    nvmeController: info.nvme?.controller ?? null,
  });
  // Checked last: a disk that went away mid-read has left nulls behind; say why.
  info.vanished = !r.root.exists(block);
  return info;
}

function readPci(r: SysReader, dir: string): PciFunction {
  const hex = (file: string) => r.parse(`${dir}/${file}`, true, (t) => (/^0x[0-9a-f]{4}$/i.test(t) ? t.slice(2).toLowerCase() : null));
  return {
    address: dir.slice(dir.lastIndexOf('/') + 1),
    vendorId: hex('vendor'),
    deviceId: hex('device'),
    subsystemVendorId: hex('subsystem_vendor'),
    subsystemDeviceId: hex('subsystem_device'),
    numaNode: r.int(`${dir}/numa_node`, true),
    localCpus: r.parse(`${dir}/local_cpulist`, true, parseCpuList),
  };
}

function nonEmpty(text: string | null): string | null {
  return text === '' ? null : text;
}

function rootRole(name: string, ctx: DiskContext): DiskInfo['rootFs'] {
  const rootFs = ctx.rootFs;
  if (!rootFs?.device) return null;
  if (rootFs.device === name) return 'self';
  if (rootFs.disk === name) return 'partition';
  if (ctx.rootStack.includes(name)) return 'stacked';
  return null;
}

/**
 * One disk's info, for callers that need a single device (the probe): `name` is a /sys/block
 * entry such as "vda" or "nvme0n1" (see diskNameForDevno to get it from a file).
 */
export function detectDisk(root: Root, name: string): DiskInfo & { unavailable: SysReader['unavailable'] } {
  const r = new SysReader(root);
  const info = readDisk(r, name, diskContext(r));
  return { ...info, unavailable: r.unavailable };
}

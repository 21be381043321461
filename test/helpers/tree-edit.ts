// Edits of a copied captured tree, shaped like the sysfs of the real devices they stand for
// (layouts as drivers/nvme, drivers/md/dm-sysfs.c, drivers/block/xen-blkfront.c create them).
// Used only for hardware that cannot exist on the machines tests run on.
import { appendFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';

/** Write files (guest path → content) under a tree, creating directories. */
export function writeFiles(root: string, files: Record<string, string | number>): void {
  for (const [guest, content] of Object.entries(files)) {
    const host = join(root, guest);
    mkdirSync(dirname(host), { recursive: true });
    writeFileSync(host, `${content}\n`);
  }
}

/** A relative symlink at guest path `at` pointing to guest path `to`, as sysfs makes them. */
export function link(root: string, at: string, to: string): void {
  const host = join(root, at);
  mkdirSync(dirname(host), { recursive: true });
  rmSync(host, { force: true, recursive: true });
  symlinkSync(posix.relative(posix.dirname(at), to), host);
}

/** Queue attributes of a blk-mq device (values as a 6.x kernel prints them). */
export function queueFiles(dir: string, o: { scheduler: string; rotational: 0 | 1; ioPoll: 0 | 1; hwQueues: number; cpuLists: string[] }): Record<string, string | number> {
  const files: Record<string, string | number> = {
    [`${dir}/queue/scheduler`]: o.scheduler,
    [`${dir}/queue/rotational`]: o.rotational,
    [`${dir}/queue/io_poll`]: o.ioPoll,
    [`${dir}/queue/io_poll_delay`]: -1,
    [`${dir}/queue/nr_requests`]: 1023,
    [`${dir}/queue/nomerges`]: 0,
    [`${dir}/queue/rq_affinity`]: 1,
    [`${dir}/queue/add_random`]: 0,
    [`${dir}/queue/iostats`]: 1,
    [`${dir}/queue/wbt_lat_usec`]: 2000,
    [`${dir}/queue/logical_block_size`]: 512,
    [`${dir}/queue/physical_block_size`]: 512,
    [`${dir}/queue/max_sectors_kb`]: 1280,
    [`${dir}/queue/read_ahead_kb`]: 128,
    [`${dir}/queue/write_cache`]: 'write back',
  };
  for (let q = 0; q < o.hwQueues; q++) files[`${dir}/mq/${q}/cpu_list`] = o.cpuLists[q] ?? '0';
  return files;
}

/** Append numbered lines to /proc/interrupts, one count column per CPU of its header. */
export function addInterrupts(root: string, lines: Array<{ irq: number; chip: string; name: string; effective: string; affinity: string }>): void {
  const path = join(root, 'proc/interrupts');
  const header = readFileSync(path, 'utf8').split('\n')[0]!;
  const columns = header.trim().split(/\s+/).length;
  for (const l of lines) {
    appendFileSync(path, `${String(l.irq).padStart(4)}: ${Array(columns).fill('         7').join(' ')} ${l.chip}   ${l.name}\n`);
    writeFiles(root, { [`/proc/irq/${l.irq}/effective_affinity_list`]: l.effective, [`/proc/irq/${l.irq}/smp_affinity_list`]: l.affinity });
  }
}

export interface NvmeDiskSpec {
  pciAddress: string;
  vendor: string;
  device: string;
  subsystemVendor: string;
  subsystemDevice: string;
  model: string;
  serial: string;
  controller: string;
  namespace: string;
  dev: string;
  sectors: number;
  hwQueues: number;
  firstIrq: number;
  numaNode: number;
  /** A multipath path device (nvmeXcYnZ): hidden, so not in /sys/block. */
  hidden?: boolean;
}

/** An Amazon EBS volume on a Nitro card (PCI 1d0f:8061) as nvme0n1: a controller these machines cannot have. */
export const EBS_NVME_DISK: NvmeDiskSpec = {
  pciAddress: '0000:00:1f.0',
  vendor: '1d0f',
  device: '8061',
  subsystemVendor: '1d0f',
  subsystemDevice: '8061',
  model: 'Amazon Elastic Block Store',
  serial: 'vol0123456789abcdef0',
  controller: 'nvme0',
  namespace: 'nvme0n1',
  dev: '259:0',
  sectors: 16777216,
  hwQueues: 2,
  firstIrq: 60,
  numaNode: 0,
};

/** An NVMe namespace under a PCIe controller, non-multipath layout. */
export function addNvmeDisk(root: string, s: NvmeDiskSpec): void {
  const pci = `/sys/devices/pci0000:00/${s.pciAddress}`;
  const ctrl = `${pci}/nvme/${s.controller}`;
  const ns = `${ctrl}/${s.namespace}`;
  // The kernel pads model and serial to the NVMe field widths with spaces.
  writeFiles(root, {
    [`${pci}/vendor`]: `0x${s.vendor}`,
    [`${pci}/device`]: `0x${s.device}`,
    [`${pci}/subsystem_vendor`]: `0x${s.subsystemVendor}`,
    [`${pci}/subsystem_device`]: `0x${s.subsystemDevice}`,
    [`${pci}/numa_node`]: s.numaNode,
    [`${pci}/local_cpulist`]: '0-1',
    [`${ctrl}/model`]: s.model.padEnd(40),
    [`${ctrl}/serial`]: s.serial.padEnd(20),
    [`${ctrl}/firmware_rev`]: '1.0     ',
    [`${ctrl}/transport`]: 'pcie',
    [`${ns}/dev`]: s.dev,
    [`${ns}/size`]: s.sectors,
    [`${ns}/ro`]: 0,
    [`${ns}/removable`]: 0,
    [`${ns}/wwid`]: `nvme.1b36-${s.serial}-${s.model}-00000001`,
    ...queueFiles(ns, { scheduler: '[none] mq-deadline kyber bfq', rotational: 0, ioPoll: 0, hwQueues: s.hwQueues, cpuLists: ['0', '1'] }),
  });
  link(root, `${pci}/driver`, '/sys/bus/pci/drivers/nvme');
  link(root, `${ctrl}/device`, pci);
  link(root, `${ns}/device`, ctrl);
  if (!s.hidden) for (const at of [`/sys/block/${s.namespace}`, `/sys/class/block/${s.namespace}`, `/sys/dev/block/${s.dev}`]) link(root, at, ns);
  writeFiles(root, { '/sys/module/nvme/parameters/poll_queues': 0, '/sys/module/nvme/parameters/io_queue_depth': 1024, '/sys/module/nvme_core/parameters/io_timeout': 30 });
  addInterrupts(root, [
    { irq: s.firstIrq, chip: `PCI-MSIX-${s.pciAddress}   0-edge`, name: `${s.controller}q0`, effective: '0', affinity: '0-1' },
    ...Array.from({ length: s.hwQueues }, (_, q) => ({
      irq: s.firstIrq + 1 + q,
      chip: `PCI-MSIX-${s.pciAddress}   ${q + 1}-edge`,
      name: `${s.controller}q${q + 1}`,
      effective: String(q),
      affinity: String(q),
    })),
  ]);
}

/**
 * Native NVMe multipath: the head nvme0n1 under the subsystem (bio-based, no mq/), its path
 * nvme0c0n1 hidden under controller nvme0, the subsystem linking to the controller, and, on
 * newer kernels, the head's multipath/ group linking to the path.
 */
export function addNvmeMultipath(root: string, spec: Omit<NvmeDiskSpec, 'namespace' | 'hidden'>, withLinks: boolean): void {
  addNvmeDisk(root, { ...spec, namespace: 'nvme0c0n1', hidden: true });
  const ctrl = `/sys/devices/pci0000:00/${spec.pciAddress}/nvme/${spec.controller}`;
  const subsys = '/sys/devices/virtual/nvme-subsystem/nvme-subsys0';
  const head = `${subsys}/nvme0n1`;
  writeFiles(root, {
    [`${head}/dev`]: spec.dev,
    [`${head}/size`]: spec.sectors,
    [`${head}/ro`]: 0,
    [`${head}/removable`]: 0,
    [`${head}/queue/scheduler`]: 'none',
    [`${head}/queue/rotational`]: 0,
    [`${head}/queue/io_poll`]: 0,
    [`${head}/queue/nomerges`]: 0,
    [`${head}/queue/add_random`]: 0,
    [`${head}/queue/iostats`]: 1,
    [`${head}/queue/logical_block_size`]: 512,
    [`${head}/queue/physical_block_size`]: 512,
    [`${head}/queue/max_sectors_kb`]: 1280,
    [`${head}/queue/read_ahead_kb`]: 128,
  });
  link(root, `${subsys}/${spec.controller}`, ctrl);
  if (withLinks) link(root, `${head}/multipath/nvme0c0n1`, `${ctrl}/nvme0c0n1`);
  for (const at of ['/sys/block/nvme0n1', '/sys/class/block/nvme0n1', `/sys/dev/block/${spec.dev}`]) link(root, at, head);
}

/** Rewrite the captured root mount line to another device number and source. */
export function setRootMount(root: string, dev: string, source: string, fsType = 'ext4'): void {
  writeFileSync(join(root, 'proc/self/mountinfo'), `27 1 ${dev} / / rw,relatime - ${fsType} ${source} rw\n`);
}

import type { DiskQueues, QueueIrq, QueueSettings } from './detect-disk-queues.js';

// What the detect document says about each disk: identity, transport and how it stacks.

export interface DiskInfo {
  name: string;
  /** "major:minor". */
  dev: string | null;
  /** Canonical sysfs directory of the disk; null when /sys/block/NAME did not resolve. */
  sysPath: string | null;
  transport: Transport;
  transportEvidence: string;
  /** Driver of the nearest ancestor device: virtio_blk, nvme, sd, vbd... */
  driver: string | null;
  /** SCSI host adapter (virtio_scsi, storvsc, ahci...) for SCSI-attached disks. */
  scsiHost: string | null;
  /** Model string (nvme controller model, SCSI device/model); virtio-blk has none. */
  model: string | null;
  /** SCSI device/vendor. */
  vendor: string | null;
  /** Identifiers, null when the device has none: a captured tree holds placeholders instead. */
  ids: { serial: string | null; wwid: string | null };
  sizeBytes: number | null;
  readOnly: boolean | null;
  removable: boolean | null;
  pci: PciFunction | null;
  /** NUMA node of the PCI device (-1 unknown); null without a PCI device. */
  numaNode: number | null;
  nvme: NvmeInfo | null;
  virtio: VirtioInfo | null;
  queues: DiskQueues;
  settings: QueueSettings;
  irqs: QueueIrq[];
  stack: DiskStack;
  /** How this disk holds the root filesystem: itself, one of its partitions, or a dm/md stacked on it; null if not. */
  rootFs: 'self' | 'partition' | 'stacked' | null;
  /** The disk disappeared while it was being read (hot-unplug, loop detach). */
  vanished: boolean;
}

/** The PCI function a disk hangs off (its nearest PCI ancestor). */
export interface PciFunction {
  /** "0000:00:02.0". */
  address: string;
  /** Four hex digits without 0x, e.g. "1af4". */
  vendorId: string | null;
  deviceId: string | null;
  subsystemVendorId: string | null;
  subsystemDeviceId: string | null;
  /** The device's NUMA node; -1 when the platform does not say. */
  numaNode: number | null;
  /** CPUs local to the device (local_cpulist). */
  localCpus: number[] | null;
}

/** How a block device reaches its storage, read from its place in the sysfs device tree. */
export type Transport =
  | 'virtio-blk'
  | 'virtio-scsi'
  | 'nvme'
  | 'scsi'
  | 'ata'
  | 'usb'
  | 'mmc'
  | 'xen-blkfront'
  | 'hyperv-storvsc'
  | 'loop'
  | 'zram'
  | 'dm'
  | 'md'
  | 'nbd'
  | 'ram'
  | 'virtual'
  | 'unknown';

export interface NvmeInfo {
  /** Controller name, e.g. "nvme0" (its IRQs are nvme0q0 admin, nvme0q1...). */
  controller: string;
  kind: NvmeControllerKind;
  /** The controller is a software emulation inside the VMM (QEMU), not a device or an offload card. */
  emulated: boolean;
  firmware: string | null;
  /** "pcie", "tcp", "rdma", "fc", "loop". */
  transport: string | null;
  /** Native NVMe multipath head (/sys/block/nvmeXnY is then bio-based; queues live on its path devices). */
  multipathPaths: string[];
}

/** Who is behind an NVMe controller, as far as its model and PCI ids tell. */
export type NvmeControllerKind =
  | 'qemu-emulated'
  | 'aws-ebs'
  | 'aws-instance-store'
  | 'gce-persistent-disk'
  | 'gce-local-ssd'
  | 'azure-nvme'
  /** Anything else: a real SSD passed through, or an unrecognised virtual controller. */
  | 'other';

export interface VirtioInfo {
  /** The virtio device, e.g. "virtio1" (also the prefix of its IRQ names). */
  device: string;
  /** Negotiated feature bits, from the device's `features` file ('0'/'1' per bit, bit 0 first). */
  featureBits: number[] | null;
  /** Names of the known bits among featureBits (block device and transport bits). */
  features: string[];
  /** VIRTIO_F_RING_PACKED (bit 34) negotiated. */
  packedRing: boolean | null;
  /** VIRTIO_BLK_F_MQ (bit 12): the device offers more than one request queue. */
  multiqueue: boolean | null;
}

/** How a disk sits among stacked devices (partitions, device-mapper, md). */
export interface DiskStack {
  partitions: Partition[];
  /** Devices this one is built on (slaves/), as listed: may be partitions ("vda1"). */
  slaves: string[];
  /** Devices built on this one or on its partitions (holders/). */
  holders: string[];
  /** The whole physical disks at the bottom of the stack (recursively through dm/md); empty for a plain disk. */
  backingDisks: string[];
  dm: { name: string | null /** Target family from the uuid prefix: "LVM", "CRYPT", "mpath"... */; uuidPrefix: string | null } | null;
  md: { level: string | null } | null;
}

export interface Partition {
  name: string;
  /** "major:minor". */
  dev: string | null;
  number: number | null;
  startSector: number | null;
  sizeBytes: number | null;
}

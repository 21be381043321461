import type { SysReader } from './reader.js';

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

interface KnownController {
  kind: NvmeControllerKind;
  model?: RegExp;
  pciVendor?: string;
  pciDevice?: string;
}

// Model strings and PCI ids as the controllers report them (see FACTS: "useful model strings").
const KNOWN: KnownController[] = [
  { kind: 'qemu-emulated', pciVendor: '1b36', pciDevice: '0010' },
  { kind: 'qemu-emulated', model: /^QEMU NVMe Ctrl$/ },
  { kind: 'aws-ebs', model: /^Amazon Elastic Block Store$/ },
  { kind: 'aws-ebs', pciVendor: '1d0f', pciDevice: '8061' },
  { kind: 'aws-instance-store', model: /^Amazon EC2 NVMe Instance Storage$/ },
  { kind: 'gce-persistent-disk', model: /^nvme_card-pd$/ },
  { kind: 'gce-local-ssd', model: /^nvme_card$/ },
  { kind: 'gce-persistent-disk', pciVendor: '1ae0' },
  { kind: 'azure-nvme', model: /^MSFT NVMe/ },
  { kind: 'azure-nvme', pciVendor: '1414' },
];

export function classifyNvmeController(model: string | null, pciVendor: string | null, pciDevice: string | null): NvmeControllerKind {
  for (const k of KNOWN) {
    if (k.model && (model === null || !k.model.test(model))) continue;
    if (k.pciVendor && k.pciVendor !== pciVendor) continue;
    if (k.pciDevice && k.pciDevice !== pciDevice) continue;
    return k.kind;
  }
  return 'other';
}

export function detectNvme(r: SysReader, controllerDir: string, model: string | null, pci: { vendorId: string | null; deviceId: string | null } | null, multipathPaths: string[]): NvmeInfo {
  const kind = classifyNvmeController(model, pci?.vendorId ?? null, pci?.deviceId ?? null);
  return {
    controller: controllerDir.slice(controllerDir.lastIndexOf('/') + 1),
    kind,
    emulated: kind === 'qemu-emulated',
    firmware: r.optional(`${controllerDir}/firmware_rev`),
    transport: r.optional(`${controllerDir}/transport`),
    multipathPaths,
  };
}

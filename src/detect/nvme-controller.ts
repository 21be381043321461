import type { SysReader } from './reader.js';
import type { NvmeControllerKind, NvmeInfo } from '../contracts/detect-disks.js';

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

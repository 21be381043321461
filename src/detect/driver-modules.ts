import type { DiskInfo } from '../contracts/detect-disks.js';
import type { SysReader } from './reader.js';
import type { DriverModules } from '../contracts/detect-system.js';

// A transport's driver and the core modules whose parameters shape its queues and power states.
const MODULES_OF: Partial<Record<DiskInfo['transport'], string[]>> = {
  'virtio-blk': ['virtio_blk'],
  nvme: ['nvme', 'nvme_core'],
  'virtio-scsi': ['virtio_scsi', 'scsi_mod'],
  scsi: ['scsi_mod'],
  'hyperv-storvsc': ['hv_storvsc', 'scsi_mod'],
  'xen-blkfront': ['xen_blkfront'],
};

export function detectDriverModules(r: SysReader, disks: DiskInfo[]): DriverModules {
  const names = [...new Set(disks.flatMap((d) => MODULES_OF[d.transport] ?? []))].sort();
  const out: DriverModules = {};
  for (const mod of names) {
    const dir = `/sys/module/${mod}/parameters`;
    const params: Record<string, string> = {};
    for (const p of r.list(dir)) {
      const value = r.optional(`${dir}/${p}`);
      if (value !== null) params[p] = value;
    }
    if (Object.keys(params).length > 0) out[mod] = params;
  }
  return out;
}

/** How the guest's CPU runs. */
export type Accel = 'tcg' | 'kvm';

/**
 * TCG unless NVPROBE_VM_ACCEL=kvm: the developer machines' /dev/kvm (KVM-PVM) cannot boot a stock
 * kernel, and probing by booting would cost a timeout. Where KVM is real, opt in.
 */
export function accelFromEnv(env: NodeJS.ProcessEnv = process.env): Accel {
  const v = (env.NVPROBE_VM_ACCEL ?? 'tcg').toLowerCase();
  if (v !== 'tcg' && v !== 'kvm') throw new Error(`NVPROBE_VM_ACCEL must be tcg or kvm, not ${JSON.stringify(v)}`);
  return v;
}

export interface LabDisk {
  /** qemu drive id */
  id: string;
  file: string;
  device: 'virtio-blk' | 'nvme';
  /** cache=none,aio=native: O_DIRECT on the host, as a production VM would have */
  directIo: boolean;
  /** virtio-blk num-queues */
  queues?: number;
  /** virtio-blk: offer VIRTIO_F_RING_PACKED (qemu's packed=on; off by default) */
  packed?: boolean;
  /** nvme serial (required by qemu's nvme device); virtio-blk: optional, /sys/block/vdX/serial */
  serial?: string;
}

export interface QemuSpec {
  kernel: string;
  initrd: string;
  cmdline: string[];
  disks: LabDisk[];
  accel: Accel;
  memoryMiB: number;
  cpus: number;
}

export function qemuArgs(spec: QemuSpec): string[] {
  // TCG with thread=single: one host thread runs every vCPU in turn. With a thread per vCPU, one
  // vCPU can run a stale translation of kernel text another is patching (static keys flip each
  // time tracing starts or stops): seen as an int3 oops, or a vCPU stuck for minutes in a probe.
  const cpu = spec.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host,-arch-capabilities,kvm-poll-control=on'] : ['-accel', 'tcg,thread=single', '-cpu', 'max'];
  const args = [
    ...cpu,
    '-m',
    String(spec.memoryMiB),
    '-smp',
    String(spec.cpus),
    // No default devices and no monitor: the serial console on stdio is the only channel.
    '-nodefaults',
    '-nographic',
    '-serial',
    'stdio',
    '-monitor',
    'none',
    // A guest that reboots or panics (panic=-1) ends qemu instead of looping.
    '-no-reboot',
    '-kernel',
    spec.kernel,
    '-initrd',
    spec.initrd,
    '-append',
    spec.cmdline.join(' '),
  ];
  for (const d of spec.disks) {
    const cache = d.directIo ? ',cache=none,aio=native' : '';
    args.push('-drive', `file=${d.file},if=none,id=${d.id},format=raw${cache}`);
    if (d.device === 'virtio-blk')
      args.push('-device', `virtio-blk-pci,drive=${d.id}${d.queues ? `,num-queues=${d.queues}` : ''}${d.packed ? ',packed=on' : ''}${d.serial ? `,serial=${d.serial}` : ''}`);
    else args.push('-device', `nvme,drive=${d.id},serial=${d.serial ?? d.id}`);
  }
  return args;
}

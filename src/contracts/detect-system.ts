// The machine, its kernel, hypervisor, root filesystem and storage driver modules, as the detect document holds them.

export interface MachineInfo {
  /** `uname -m`: from kernel.arch (Linux ≥ 6.1), else inferred from /proc/cpuinfo. */
  architecture: string | null;
  architectureSource: 'kernel.arch' | 'cpuinfo' | null;
  cpuVendor: string | null;
  cpuModel: string | null;
}

export interface KernelInfo {
  /** `uname -r`, e.g. "6.18.44-fc-v595" or "5.14.0-427.el9.x86_64". */
  release: string | null;
  /** The numeric prefix of release. Distribution kernels backport: treat it as a floor, not the truth. */
  version: KernelVersion | null;
  /** `uname -v`, e.g. "#1 SMP PREEMPT_DYNAMIC ..." (tells the preemption model). */
  build: string | null;
  cmdline: KernelCmdline | null;
  /** kernel.io_uring_disabled: 0 allowed, 1 only for io_uring_group, 2 disabled; null when the sysctl does not exist (before 6.6). */
  ioUringDisabled: number | null;
}

export interface KernelVersion {
  major: number;
  minor: number;
  patch: number;
}

/** The kernel command line, raw and parsed. */
export interface KernelCmdline {
  /** /proc/cmdline as read (a captured tree holds it redacted: UUIDs and init arguments replaced). */
  raw: string;
  /**
   * Kernel parameters before a lone `--`, last one wins: `quiet` → true, `a.b=1` → "1".
   * Module parameters keep their dotted name (`cpuidle_haltpoll.force`). The kernel treats `-`
   * and `_` alike in names (parameq()), so names are stored with `_` only.
   */
  params: Record<string, string | true>;
}

/** How a kernel module exists in the running kernel: built in, a loadable .ko, or not at all. */
export type ModuleKind = 'builtin' | 'module' | 'absent';

export interface HypervisorInfo {
  kind: HypervisorKind;
  /** DMI sys_vendor when there is DMI, e.g. "QEMU", "Amazon EC2", "Microsoft Corporation". */
  vendor: string | null;
  /** DMI product_name, e.g. "Standard PC (Q35 + ICH9, 2009)", "HVM domU", "Virtual Machine". */
  product: string | null;
  /** The signals that decided `kind`, strongest first, in words. */
  evidence: string[];
  signals: HypervisorSignals;
}

/** 'tcg': QEMU emulating the CPU in software (no hardware virtualization, no KVM paravirt). */
export type HypervisorKind = 'kvm' | 'xen' | 'hyperv' | 'vmware' | 'tcg' | 'none' | 'unknown';

/** Every signal looked at, as read (null: not present in this tree). */
export interface HypervisorSignals {
  /** x86 CPUID "hypervisor" bit as /proc/cpuinfo shows it; null when cpuinfo is unreadable or not x86. */
  cpuinfoHypervisorFlag: boolean | null;
  /** /proc/cpuinfo "model name" of the first CPU ("QEMU TCG CPU version 2.5+" under TCG with -cpu max). */
  cpuModel: string | null;
  /** /sys/hypervisor/type ("xen" on Xen guests). */
  sysHypervisorType: string | null;
  dmiSysVendor: string | null;
  dmiProductName: string | null;
  dmiBiosVendor: string | null;
  currentClocksource: string | null;
  availableClocksources: string[] | null;
  /** Paravirtual buses with devices: /sys/bus/xen/devices, /sys/bus/vmbus/devices. */
  paravirtBuses: string[];
  /** cpuidle driver "haltpoll" loads only with KVM paravirt features. */
  cpuidleDriver: string | null;
}

/** The block device under `/`, as the mount table of the reading process says. */
export interface RootFsInfo {
  /** Block device holding / directly: "vda", "vda2", "dm-0"; null when / is not on a block device (overlay, nfs, tmpfs). */
  device: string | null;
  /** The whole disk of device ("vda" for "vda2"; "dm-0" stays "dm-0"). */
  disk: string | null;
  /** "major:minor" from mountinfo (0:N for btrfs, overlay and other anonymous devices). */
  dev: string | null;
  fsType: string | null;
  /** Mount source, e.g. "/dev/vda", "/dev/mapper/vg-root". */
  source: string | null;
  /** The table it came from. */
  from: '/proc/self/mountinfo' | '/proc/mounts';
}

/** Parameters of the storage driver modules in use: module → parameter → value as the kernel shows it. */
export type DriverModules = Record<string, Record<string, string>>;

import type { ModuleKind } from './detect-system.js';

// CPUs, idle states and haltpoll, as the detect document holds them.

export interface CpuTopology {
  /** /sys/devices/system/cpu/online, parsed ("0-3,8" → [0,1,2,3,8]). */
  online: number[] | null;
  possible: number[] | null;
  /** Nodes from /sys/devices/system/node/nodeN/cpulist; empty when the kernel has no NUMA. */
  numaNodes: NumaNode[];
  /** isolcpus= CPUs (empty list: none isolated). */
  isolated: number[] | null;
  /** nohz_full= CPUs (empty: none); null when the file is absent (kernel without CONFIG_NO_HZ_FULL). */
  nohzFull: number[] | null;
}

export interface NumaNode {
  node: number;
  cpus: number[];
}

export interface CpuidleInfo {
  /** /sys/devices/system/cpu/cpuidle/current_driver, e.g. "haltpoll", "intel_idle", "acpi_idle", "none". */
  driver: string | null;
  /** current_governor (or current_governor_ro on kernels without governor switching). */
  governor: string | null;
  availableGovernors: string[] | null;
  perCpu: CpuIdleStates[];
  haltpoll: HaltpollInfo;
  resumeLatency: CpuResumeLatency[];
  /** cpufreq policies; empty when the guest has no cpufreq (usual in VMs). */
  cpufreq: CpufreqPolicy[];
}

export interface CpuIdleStates {
  cpu: number;
  states: CpuidleState[];
}

export interface CpuidleState {
  /** K of stateK. */
  index: number;
  name: string | null;
  desc: string | null;
  /** Exit latency in µs. */
  latencyUs: number | null;
  /** Target residency in µs. */
  residencyUs: number | null;
  /** The state is disabled for this CPU (stateK/disable = 1). */
  disabled: boolean | null;
  /** Times entered (volatile). */
  usage: number | null;
  /** µs spent in the state (volatile). */
  timeUs: number | null;
}

/**
 * Per-CPU PM QoS resume latency (cpuN/power/pm_qos_resume_latency_us). The kernel shows "0" for
 * "no constraint" and "n/a" for "0 µs allowed" (the idle governor then only polls).
 */
export interface CpuResumeLatency {
  cpu: number;
  raw: string | null;
  /** The limit in µs: null = no constraint, 0 = no idle state may be entered except polling. */
  limitUs: number | null;
}

export interface CpufreqPolicy {
  policy: string;
  cpus: number[] | null;
  driver: string | null;
  governor: string | null;
}

export interface HaltpollInfo {
  driverActive: boolean | null;
  /** /sys/module/haltpoll exists (the governor is built in or loaded). */
  governorBuilt: boolean;
  governorActive: boolean | null;
  /**
   * How the cpuidle-haltpoll driver exists in this kernel: built in (only `cpuidle_haltpoll.force=1`
   * and a reboot can bring it up once it declined at boot), a loadable module (`modprobe
   * cpuidle-haltpoll force=1` works at runtime), absent, or null when nothing readable says.
   */
  driverModule: ModuleKind | null;
  /** The module is loaded (built in: true; a .ko: /sys/module/cpuidle_haltpoll/initstate = live). */
  driverModuleLoaded: boolean | null;
  /** Which file said how the driver exists. */
  driverModuleEvidence: string;
  /** cpuidle_haltpoll.force (loads the driver without the KVM hint-dedicated feature). */
  forced: boolean | null;
  parameters: HaltpollParameters | null;
  /** Guest halt polling really happens: driver and governor active and guest_halt_poll_ns > 0. */
  polling: boolean | null;
  /** Why polling cannot happen; null when it is active or only disabled by guest_halt_poll_ns = 0. */
  absence: HaltpollAbsence | null;
  /** The situation in one sentence. */
  explanation: string;
}

/** /sys/module/haltpoll/parameters (Documentation/virt/guest-halt-polling.rst). */
export interface HaltpollParameters {
  /** Maximum poll time before halting, ns (default 200000; 0 disables polling). */
  guestHaltPollNs: number | null;
  guestHaltPollShrink: number | null;
  guestHaltPollGrow: number | null;
  guestHaltPollGrowStart: number | null;
  guestHaltPollAllowShrink: boolean | null;
}

export type HaltpollAbsence =
  /** No cpuidle at all in this kernel/tree. */
  | 'no-cpuidle'
  /** Another cpuidle driver is in use: cpuidle-haltpoll did not load (no KVM paravirt, not forced, `idle=` given, or not built). */
  | 'driver-not-loaded'
  /** Driver haltpoll is in use but /sys/module/haltpoll is absent: CONFIG_CPU_IDLE_GOV_HALTPOLL is not set. */
  | 'governor-not-built'
  /** Both exist but another governor was chosen (cpuidle.governor= or a write to current_governor). */
  | 'governor-not-selected';

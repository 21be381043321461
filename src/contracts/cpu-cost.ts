// What a measured series cost in CPU: nvprobe's own time per read, each vCPU's busy, polling and
// steal shares. The probe, each arm of a tune decision, each grid point and the bundles carry it.

/**
 * The steal share of any one vCPU from which the host, not the device, sets a QD1 p99: the
 * vcpu-steal rule (rules/vcpu-steal.yaml, in percent) fires from here and probe prints its host
 * advice line; a test keeps the two equal.
 */
export const STEAL_ADVICE_SHARE = 0.01;

/** One vCPU's accounting over a window: /proc/stat tick deltas and the cpuidle POLL time delta. */
export interface VcpuTicks {
  cpu: number;
  /** user + nice + system + irq + softirq ticks: the guest's own work. */
  busyTicks: number;
  /** idle + iowait ticks (time in the cpuidle POLL state is in here: the idle task runs it). */
  idleTicks: number;
  /** Ticks the host kept this vCPU off a physical CPU while it was runnable. */
  stealTicks: number;
  totalTicks: number;
  /** µs in the POLL idle state; null where the vCPU has no POLL state (no cpuidle driver). */
  pollUs: number | null;
}

/** Raw deltas over one window, so that windows (a tune arm's rounds) add up exactly. */
export interface CpuWindow {
  wallUs: number;
  /** Reads completed in the window (the measured ones). */
  reads: number;
  /** nvprobe's own CPU time in the window, all its threads; null when read from a captured tree. */
  processUserUs: number | null;
  processSystemUs: number | null;
  vcpus: VcpuTicks[];
}

/** One vCPU's shares of the window (0..1). */
export interface VcpuShares {
  cpu: number;
  busy: number;
  /** Share of the window spent polling in the POLL idle state; null without one. */
  poll: number | null;
  steal: number;
}

/** The window as shares and per-read figures: what the documents, text, HTML and Prometheus show. */
export interface CpuCost {
  seconds: number;
  reads: number;
  /** nvprobe's own CPU time per read, µs: the price of issuing and reaping one read. Null: unknown (captured tree). */
  perReadUs: { user: number; system: number } | null;
  /** Summed over the vCPUs, in vCPUs (1.0 = one vCPU's whole time). */
  busyVcpus: number;
  pollVcpus: number | null;
  stealVcpus: number;
  /** (busy + polling) over all the vCPUs' time: the share of the vCPUs the host saw in use. */
  busyShare: number;
  /** The largest steal share of any one vCPU: a read waiting on that vCPU waited for the host. */
  maxStealShare: number;
  /** Steal per read, µs, summed over the vCPUs: at QD1 an upper bound of the host's wait in each read. */
  stealPerReadUs: number;
  vcpus: VcpuShares[];
  window: CpuWindow;
}

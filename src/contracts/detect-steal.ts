// Steal: the time the host kept a runnable vCPU of this guest off every physical CPU. At queue
// depth 1 a completion waits for its vCPU, so the largest share of any one vCPU is what matters.

/** One vCPU's steal over a window, in percent of its time. */
export interface VcpuSteal {
  cpu: number;
  pct: number;
}

/** Steal over one window. */
export interface StealWindow {
  /** The window's length, s: a run's wall time; since boot, the time /proc/stat counted on the first vCPU. */
  seconds: number;
  /** The largest steal share of any one vCPU, percent of its time. */
  maxPct: number;
  /** The vCPU with that share (the lowest number among equals). */
  maxCpu: number;
  perCpu: VcpuSteal[];
}

/** A measured run's window: its reads and steal per read too. */
export interface RunStealWindow extends StealWindow {
  reads: number;
  /** Steal per read, µs, summed over the vCPUs: at QD1 an upper bound of the host's wait in each read. */
  perReadUs: number;
}

/**
 * The Snapshot's `steal`: since boot from /proc/stat, and, where a measurement ran beside the
 * detection (collect's probe), that run's. The rule judges `maxPct` from `window`: the run when
 * there is one (the reads the latency came from), else since boot.
 */
export interface StealInfo {
  /** Which window maxPct/maxCpu are from; null: /proc/stat not readable (a tree captured without it). */
  window: 'run' | 'since-boot' | null;
  /** That window in words, for titles and evidence: "during collect's probe, 3.0 s of reads", "since boot, no measurement ran". */
  windowText: string;
  maxPct: number | null;
  maxCpu: number | null;
  sinceBoot: StealWindow | null;
  run: RunStealWindow | null;
}

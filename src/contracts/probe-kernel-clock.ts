import type { HistogramJson, LatencySummary } from './latency-stats.js';

// The probe document's kernel-clock section: every read timed by ftrace, with its phases.

/** The clock every CPU's buffer stamps with: CLOCK_MONOTONIC, consistent across CPUs (unlike 'local'). */
export const TRACE_CLOCK = 'mono';

export type KernelClockReport =
  | ({
      available: true;
      clock: typeof TRACE_CLOCK;
      method: string;
      instance: string;
      /** Reads issued while the events were on: every one must be in `reads` unless events were lost. */
      readsIssued: number;
      lostEvents: number;
      /** Reads issued but not joined (a lost entry or exit): counted, never silently dropped. */
      unmatched: number;
      /**
       * Which slices `total` comes from: 'syscall-events' (only the syscall's entry and exit
       * traced, the headline) or 'all-events' (no syscall-only slice ran). Absent in older documents.
       */
      totalFrom?: 'syscall-events' | 'all-events';
      /** Reads in `total`. */
      totalReads?: number;
      /** Reads timed in the slices with every event on (the phases cover those with block events). */
      phaseSliceReads?: number;
      /** Why there are no per-phase figures (target without block events), if so. */
      noPhasesReason?: string;
      /** Events this kernel lacks that only refine the answer. */
      missingOptional: string[];
      /** Raw minus kernel time per read: nvprobe's FFI call, clock reads, syscall entry/exit. */
      outsideSyscall: LatencySummary | null;
      overhead: TracingOverhead;
      /**
       * Older documents: `total` with tracing's whole per-read cost taken off (it was their
       * headline). No longer written: part of that cost lies outside the window (see `native`).
       */
      correctedTotal?: PhaseStats;
      /** Older documents: whether and why (not) `correctedTotal` exists. No longer written. */
      correction?: TracingCorrection;
      /** The headline: what a native program would see for each read. Absent: see `nativeReason`. */
      native?: NativeEstimate;
      nativeReason?: string;
      /** Leftover instances of dead nvprobe processes removed at start. */
      removedLeftovers: string[];
    } & ReadStats)
  | { available: false; reason: string };

export interface TracingOverhead {
  /**
   * Process-timed median of the slices the total comes from (syscall events only; all events
   * when the run had no such slice) minus with events off; null when the run had no off round.
   */
  perIoUs: number | null;
  tracedP50Us: number | null;
  untracedP50Us: number | null;
  tracedReads: number;
  untracedReads: number;
  /** The same for the slices with every event on (where the phases come from); absent in older documents. */
  phaseSlices?: { perIoUs: number | null; p50Us: number | null; reads: number };
  /** Time spent reading and decoding the buffers between slices (not counted as measuring time). */
  drainMs: number;
  note?: string;
}

/**
 * Older documents only (no longer written): whether their headline total was corrected for the
 * cost of its own events, and why (not). The
 * cost is estimated per cycle (the traced slices of its rounds, then the untraced round that
 * follows them: interleaved, so a drift of the machine hits both sides); it is subtracted only
 * when it is above zero and its standard error across cycles is small against it.
 */
export interface TracingCorrection {
  applied: boolean;
  /** Subtracted from every read of `total` to give `correctedTotal`: `overhead.perIoUs`; null when not applied. */
  perIoUs: number | null;
  /** Per cycle: p50 of its traced (headline) slices minus p50 of its untraced round, µs. */
  cycleCostsUs: number[];
  /** Standard deviation of `cycleCostsUs` over √cycles; null below two cycles. */
  standardErrorUs: number | null;
  /** Why the cost was not subtracted, in one line. */
  reason?: string;
}

/**
 * What a native program would see for each read: the traced window (sys_enter → sys_exit), plus
 * the syscall boundary the window leaves out (entry and exit, with whatever the CPU's mitigations
 * make them cost), minus what tracing itself adds inside the window. Both corrections are measured
 * in this run with the engine's empty call (the same syscall with nothing to transfer):
 *   boundary  = its process-timed cost beyond a call that does not enter the kernel, events off
 *               (entry + exit + the empty call's tiny body);
 *   in-window = its sys_enter → sys_exit on the kernel clock, syscall events on
 *               (tracing's in-window share + the same tiny body).
 * The body cancels: native = window − in-window + boundary, for every read (a constant shift).
 * nvprobe's own costs (the ffi-rs call, its clock reads) stay outside: they are not in the window.
 */
export interface NativeEstimate {
  method: string;
  /** p50 of the window as traced (the reads `total` covers), µs. */
  windowP50Us: number;
  /** Added: the untraced empty syscall's cost beyond the no-kernel call (median), µs; ± its 95 % half-width. */
  boundaryUs: number;
  boundaryCiUs: number;
  /** Subtracted: the traced empty syscall's sys_enter → sys_exit (median), µs; ± its 95 % half-width. */
  inWindowUs: number;
  inWindowCiUs: number;
  /** Empty calls each side. */
  calls: number;
  /** Added to every read's window: boundaryUs − inWindowUs. */
  shiftUs: number;
  /** Half-width of a 95 % interval of the shift (the two medians' intervals combined). */
  uncertaintyUs: number;
  /** The estimate for every read of `total`: the headline. */
  total: PhaseStats;
}

export interface ReadStats {
  /** Reads whose syscall entry and exit were both seen. */
  reads: number;
  total: PhaseStats;
  /** Reads with the block events of their own bio (those the phases cover). */
  withPhases: number;
  phases: PhaseBreakdown | null;
  /** Completions taken by a CPU that was idle (running its idle task) just before. */
  idleCompletions: number;
  /** Reads whose returning CPU left idle between the completion and the return; null when power:cpu_idle is not traced. */
  wokeFromIdle: number | null;
  /** Reads that returned on another CPU than they entered on (the trace clock is global, the phases stay exact). */
  migrated: number;
  /** Where the phased reads' completions ran against the CPU each read waited on; absent in older documents. */
  placement?: CompletionPlacement | null;
}

/**
 * A completion that runs on another CPU than the one its reader sleeps on must wake that CPU
 * with an inter-processor interrupt (in a VM, an exit to the host and often a halted vCPU to
 * resume): the reader's CPU against the disk's interrupt CPU can move a read by tens of µs.
 */
export interface CompletionPlacement {
  /** Phased reads by the CPU they entered the syscall on (where the reader waited). */
  issueCpus: Record<string, number>;
  /** Phased reads by the CPU their completion ran on (the disk's interrupt, or the issuing CPU for a synchronous device). */
  completionCpus: Record<string, number>;
  /** Reads whose completion ran on their own CPU, and on another: count and p50 of syscall entry → exit (kernel clock, all-events slices). */
  sameCpu: PlacementGroup;
  otherCpu: PlacementGroup;
}

export interface PlacementGroup {
  reads: number;
  /** null without reads. */
  p50Us: number | null;
}

export interface PhaseBreakdown {
  /** Syscall entry → request issued (bio queued, for bio-based devices such as zram). */
  submit: PhaseStats;
  /** Issued → completed: the device, and on a VM the host behind it. */
  device: PhaseStats;
  /** Completed → syscall exit: completion handling, wake-up, return. */
  completion: PhaseStats;
  /** Per read: submit + completion → return, what this guest's kernel spends. */
  guestSide: LatencySummary;
  /**
   * Syscall entry → exit of the same reads (those the phases cover, all events on): the phases add
   * up to it. Absent in older documents.
   */
  total?: PhaseStats;
  /** How many reads had their device time bracketed by request events, by bio events. */
  requestEvents: number;
  bioEvents: number;
}

export interface PhaseStats {
  latency: LatencySummary;
  histogram: HistogramJson;
}

import type { ProbeMeasurement, ProbeTarget } from './probe-measurement.js';
import type { KernelClockReport } from './probe-kernel-clock.js';

export const PROBE_SCHEMA_VERSION = 1;

/** The JSON document `nvprobe probe --json` prints; also embedded in tune runs. */
export interface ProbeReport {
  schemaVersion: typeof PROBE_SCHEMA_VERSION;
  kind: 'nvprobe.probe';
  nvprobeVersion: string;
  createdAt: string;
  kernel: { release: string; arch: string };
  target: ProbeTarget;
  engine: ProbeEngineReport;
  /** idleWindowMs: the idle window after the reads for result.idlePollShare (0: not waited, no POLL state); absent in older documents. */
  config: { durationMs: number | null; ios: number | null; rampMs: number; idleWindowMs?: number };
  result: ProbeMeasurement;
  /**
   * Which series is the headline (see measure/headline.ts): 'native' = the kernel clock's window
   * with the syscall boundary added and tracing's in-window cost taken off (kernelClock.native);
   * 'calibrated' = process-timed, nvprobe's per-call cost subtracted (result.corrected), where
   * tracing did not run. Older documents: 'kernel' (the traced total, corrected or not).
   */
  headline?: 'native' | 'calibrated' | 'kernel';
  /** Every read on the kernel's clock (ftrace), with its phases; or why not. Absent in older documents. */
  kernelClock?: KernelClockReport;
}

/**
 * `polled` is the one answer to "did reads complete by polling" for every engine; `hipri` is
 * psync2's RWF_HIPRI verdict (for io_uring: not requested, 'not used by the io_uring engine').
 */
export interface ProbeEngineReport {
  name: string;
  /** What --engine asked for. */
  requested: EngineChoice;
  /** Why this engine, with or without IOPOLL. */
  selection: string;
  blockSize: number;
  direct: true;
  polled: PolledVerdict;
  hipri: HipriVerdict;
  /** Present when --engine auto wanted io_uring and measured with psync2 instead. */
  fallbackReason?: string;
  cpu: number | null;
}

/** An engine's name as its descriptor gives it (psync2, io_uring; the registry in io/engines.ts knows them all). */
export type EngineName = string;

/** What `probe --engine` accepts: `auto` (io_uring with IOPOLL where the queue polls, else psync2) or an engine's name. */
export type EngineChoice = 'auto' | EngineName;

/** Whether reads really completed by polling, for any engine, and why (report field `engine.polled`). */
export interface PolledVerdict {
  polled: boolean;
  reason: string;
}

/** Whether RWF_HIPRI actually made preadv2 poll — not just whether the flag was passed. */
export interface HipriVerdict {
  requested: boolean;
  effective: boolean;
  reason: string;
}

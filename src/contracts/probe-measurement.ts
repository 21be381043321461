import type { CpuCost } from './cpu-cost.js';
import type { HistogramJson, LatencySummary } from './latency-stats.js';

// What a probe read and measured: its target and the process-timed result.

export interface ProbeTarget {
  path: string;
  kind: 'block' | 'file';
  sizeBytes: number;
  /** Bytes the random offsets range over (the target, or --size). */
  spanBytes: number;
  logicalBlockSize: number;
  /** The whole disk whose queue serves the reads (vda for /dev/vda1 or a file on it), if any. */
  disk: string | null;
  filesystem: { type: string; mountPoint: string } | null;
  /** nvprobe created this file itself (the root device could not be opened). */
  scratch: boolean;
  /** Why a scratch file stands in for the root filesystem's device. */
  fallbackReason?: string;
  /** What serves the reads: a block device, memory (tmpfs, ramfs), or nothing nvprobe can name (overlay, FUSE, network). */
  backing: 'block-device' | 'memory' | 'unknown';
  /** Set unless backing is block-device: one line saying the figures are not storage latency. */
  backingNote?: string;
}

export interface ProbeMeasurement {
  samples: number;
  rampIos: number;
  wallSeconds: number;
  /** I/Os completed per second of measuring, as this process achieved them (overhead included). */
  iops: number;
  /** What the device sustains at QD1 without nvprobe's per-call cost: 1e6 / corrected mean. */
  iopsCorrected: number;
  overhead: Overhead;
  raw: LatencySummary;
  corrected: LatencySummary;
  histogram: HistogramJson;
  correctedHistogram: HistogramJson;
  aborted: boolean;
  /** What the measured reads cost in CPU (nvprobe per read, the vCPUs' busy, polling and steal shares); null or absent: not read. */
  cpu?: CpuCost | null;
  /**
   * Share of all the vCPUs' time spent in the cpuidle POLL state during an idle window right after
   * the reads (config.idleWindowMs): what halt polling costs while the guest has nothing to do.
   * Null: no POLL state (nothing polls while idle), or interrupted. Set by probe and collect, not by tune's rounds.
   */
  idlePollShare?: number | null;
}

export interface Overhead {
  /** Subtracted from every raw figure. */
  perIoUs: number;
  /** Which measurement `perIoUs` is: in-situ (after real I/Os) when enough were taken, else warm. */
  source: 'in-situ' | 'warm';
  inSitu: { medianUs: number; p10Us: number; p90Us: number; calls: number } | null;
  /** Tight-loop calibrations before and after the run: the FFI cost with hot caches. */
  before: Calibration;
  after: Calibration;
  method: string;
}

export interface Calibration {
  /** Median cost, µs, of the engine's no-I/O call timed exactly like a read: FFI + clock. */
  ffiUs: number;
  ffiP10Us: number;
  ffiP90Us: number;
  /** Median cost, µs, of the same syscall with nothing to transfer, beyond `ffiUs`. */
  emptySyscallUs: number;
  /**
   * Half-width, µs, of a 95 % interval of `emptySyscallUs` (the two medians' order-statistic
   * intervals, combined). Absent in older documents.
   */
  emptySyscallCiUs?: number;
  calls: number;
}

import type { FindingStatus, Severity } from './rule-types.js';

export const COMPARE_SCHEMA_VERSION = 1;

/**
 * `report A B --json`: two bundles, runs or probe documents side by side. What differs in their
 * configuration (ranked by how much it matters for QD1 latency), which findings differ, the
 * headline latency with its phases, and the one sentence that says on which side of a read the
 * difference lies.
 */
export interface CompareDocument {
  schemaVersion: typeof COMPARE_SCHEMA_VERSION;
  kind: 'nvprobe.report-compare';
  sides: { A: CompareSide; B: CompareSide };
  identity: CompareIdentity;
  configuration: {
    /** Most relevant to QD1 latency first (rank 1). */
    differences: ConfigDifference[];
    /** What could not be compared, one sentence each (a probe document has no snapshot). */
    unknown: string[];
  };
  findings: {
    /** Findings whose status differs, where at least one side fires (recommend, advise, info). */
    differences: FindingDifference[];
    /** Why findings could not be compared (an input without check.json); null when they were. */
    unknown: string | null;
  };
  latency: LatencyComparison;
  verdict: CompareVerdict;
}

export interface CompareSide {
  source: string;
  sourceKind: 'bundle' | 'run' | 'probe';
  /** When the bundle, run or probe was made. */
  createdAt: string | null;
  nvprobeVersion: string | null;
  /** The bundle's host token (redacted: a keyed hash), null for a run or probe document. */
  hostToken: string | null;
  redacted: boolean | null;
}

export interface CompareIdentity {
  /** By the bundles' machine tokens (never by host name); unknown when either side has none. */
  verdict: 'same-machine' | 'two-machines' | 'unknown';
  /** "the same machine at two times (collected X and Y)", "two machines (...)", or why it is unknown. */
  sentence: string;
}

/** Which side of a read a setting acts on (the verdict cites the differences on the side that moved). */
export type ReadSide = 'guest' | 'device' | 'both';

export interface ConfigDifference {
  /** 1 = matters most for QD1 latency; the position of its entry in the ranking table. */
  rank: number;
  /** The ranking table's key, e.g. "cpuidle.driver", "disk.scheduler", "cmdline". */
  key: string;
  /** What differs, e.g. "cpuidle driver", "boot parameter idle", "scheduler". */
  label: string;
  /** The disk(s) it concerns ("vda (measured)", "vda ↔ nvme0n1 (the measured disks)"); null for the machine. */
  subject: string | null;
  /** The machine, a disk whose reads were measured (on either side), or another disk. */
  concerns: 'machine' | 'measured-disk' | 'other-disk';
  /** Each side's value as shown; null: absent, not set. */
  a: string | null;
  b: string | null;
  /** One line: why it matters for QD1 latency. */
  why: string;
  acts: ReadSide;
}

export interface FindingDifference {
  id: string;
  title: string;
  severity: Severity;
  /** Each side's status; null: no such finding on that side (another disk, another rule set). */
  a: FindingStatus | null;
  b: FindingStatus | null;
}

/** p50 and p99 of one series, µs. */
export interface Quantiles {
  p50Us: number;
  p99Us: number;
}

/** A read on the kernel's clock: the three phases and the guest's share (submit + completion → return). */
export interface PhaseQuantiles {
  submit: Quantiles;
  device: Quantiles;
  completion: Quantiles;
  guestSide: Quantiles;
}

export interface SideLatency {
  /** The headline series the single report leads with (measure/headline.ts), by its label. */
  series: string;
  p50Us: number;
  p99Us: number;
  phases: PhaseQuantiles | null;
  /** Why there are no phases (kernel clock unavailable, a target without block events). */
  noPhasesReason: string | null;
  /** What the reads cost and what the host took (the probe's or the run's final arm); null: not measured (older inputs). */
  cpu?: SideCpu | null;
  /** Where the phased reads' completions ran against the CPU their reader waited on; null: not measured (older inputs, no phases). */
  placement?: SidePlacement | null;
}

/**
 * A side's completion placement in one figure: a completion on another CPU than its reader's must
 * wake that vCPU with an inter-processor interrupt. Where the scheduler puts the reader moves both
 * sides of a read (README, report A B).
 */
export interface SidePlacement {
  /** Phased reads counted. */
  reads: number;
  /** Share of them (0–1) whose completion ran on the CPU the reader waited on. */
  sameCpuShare: number;
  /** The CPU most completions ran on (the disk's interrupt); null when the document names none. */
  completionCpu: number | null;
}

/** A side's CPU figures during its reads: shares of the vCPUs' time, steal per read, nvprobe's CPU per read. */
export interface SideCpu {
  busyShare: number;
  maxStealShare: number;
  stealPerReadUs: number;
  perReadUs: number | null;
}

export interface LatencyComparison {
  A: SideLatency | null;
  B: SideLatency | null;
  /** Why a side has no latency (a bundle collected with --no-probe, a failed probe). */
  missing: { A: string | null; B: string | null };
  /** Set when the two headlines are not the same series (one traced, one not). */
  note: string | null;
}

export interface CompareVerdict {
  /**
   * none: no difference beyond the noise; device / guest / both: which side moved beyond it;
   * spread: the total moved, neither side on its own; split-unknown: a side has no phases;
   * no-data: a side has no latency.
   */
  side: 'none' | 'device' | 'guest' | 'both' | 'spread' | 'split-unknown' | 'no-data';
  sentence: string;
  /** B − A at p50, µs; null without latency on both sides. */
  deltaP50Us: number | null;
  /** A difference counts only beyond max(floorUs, relative × A's value). */
  tolerance: { floorUs: number; relative: number };
}

import type { ProbeTarget } from './probe-measurement.js';
import type { TunePlan } from './tune-plan.js';
import type { Expectation } from './boot-verdict.js';
import type { SessionResult } from './tune-session.js';

export const TUNE_SCHEMA_VERSION = 1 as const;

/** What `nvprobe tune --json` prints and what is saved under <state>/runs/. */
export interface TuneReport {
  schemaVersion: typeof TUNE_SCHEMA_VERSION;
  kind: 'nvprobe.tune';
  nvprobeVersion: string;
  createdAt: string;
  run: string | null;
  dryRun: boolean;
  plan: TunePlan;
  target: ProbeTarget | null;
  /** The engine every round used (the probe's auto choice: io_uring IOPOLL where the queue polls). */
  engine: { name: string; polled: { polled: boolean; reason: string } } | null;
  result: SessionResult | null;
  /** With --persist: what was written to survive a reboot, and what the user must do by hand. */
  persisted: PersistedReport | null;
  /**
   * With --persist and changes that only a reboot applies: what happens next (reboot, then
   * `nvprobe verify`), what the next boot must show, and whether the verification is armed
   * (dry run: planned, not armed). Absent/null otherwise.
   */
  verify?: TuneVerifyPlan | null;
  savedTo: string | null;
}

export interface TuneVerifyPlan {
  armed: boolean;
  /** The armed record (state dir), null in a dry run. */
  file: string | null;
  /** tune reboots now (--reboot); else the user reboots when it suits (exit code 7). */
  reboot: boolean;
  steps: string[];
  expects: Expectation[];
  baselineMedianP50Us: number | null;
}

export interface PersistedReport {
  writes: string[];
  actions: Array<{ target: string; route: string; text: string }>;
  notes: string[];
  manual: string[];
}

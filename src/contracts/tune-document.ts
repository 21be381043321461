import type { ProbeTarget } from '../measure/target.js';
import type { TunePlan } from '../tune/plan.js';
import type { SessionResult } from '../tune/session.js';

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
  savedTo: string | null;
}

export interface PersistedReport {
  writes: string[];
  actions: Array<{ target: string; route: string; text: string }>;
  notes: string[];
  manual: string[];
}

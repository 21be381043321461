import type { Verdict } from './boot-verdict.js';
import type { PendingStatus } from './verify-document.js';

export const REVERT_SCHEMA_VERSION = 1;

/** The JSON document of `revert --json`. */
export interface RevertDocument {
  schemaVersion: typeof REVERT_SCHEMA_VERSION;
  kind: 'nvprobe.revert';
  reverted: Reverted[];
}

export const STATUS_SCHEMA_VERSION = 1;

/** The JSON document of `status --json`. */
export interface StatusDocument {
  schemaVersion: typeof STATUS_SCHEMA_VERSION;
  kind: 'nvprobe.status';
  entries: StatusEntry[];
  /** A verification armed by `tune --persist` for the next boot; null when none. */
  pending: PendingStatus | null;
  /** The verdict of the last `nvprobe verify` that ran; null when none ever did. */
  lastVerdict: Verdict | null;
}

export interface Reverted {
  run: string;
  label: string;
  path: string;
  restored: string | null;
  error?: string;
  /** Not restored: someone else changed the value since nvprobe set it (`now`, `wrote`). */
  left?: { now: string; wrote: string };
}

export interface StatusEntry {
  run: string;
  label: string;
  path: string;
  written: string | null;
  live: string | null;
  state: 'applied' | 'drifted' | 'unknown';
}

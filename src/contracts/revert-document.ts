import type { Verdict } from '../tune/pending-verify.js';
import type { Reverted, StatusEntry } from '../tune/revert.js';
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

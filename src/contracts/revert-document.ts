import type { Reverted, StatusEntry } from '../tune/revert.js';

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
}

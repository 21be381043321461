import type { Finding, FindingStatus } from './rule-types.js';

export const CHECK_SCHEMA_VERSION = 1;

/** The JSON document of `check --json`, also stored as check.json in a bundle. */
export interface CheckDocument {
  schemaVersion: typeof CHECK_SCHEMA_VERSION;
  kind: 'nvprobe.check';
  nvprobeVersion: string;
  createdAt: string;
  root: string | null;
  /** The bundle analysed (`--from`), if any. */
  from?: string;
  rules: { count: number; files: string[] };
  /** Findings per status; a recommendation tune measured here and put back counts as measuredNoGain, not recommend. */
  summary: CheckSummary;
  /** Findings; those whose change tune measured on this machine carry `measured` (its latest verdict). */
  findings: Finding[];
}

/**
 * The check document's summary: findings per status, except that a recommendation tune measured
 * here and put back counts as `measuredNoGain`, not as `recommend` (to apply). Every finding
 * counts once.
 */
export type CheckSummary = Record<FindingStatus, number> & { measuredNoGain: number };

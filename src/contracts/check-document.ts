import type { Finding, FindingStatus } from '../rules/types.js';

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
  summary: Record<FindingStatus, number>;
  findings: Finding[];
}

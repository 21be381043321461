/** Bumped when a member changes meaning or moves; readers refuse a newer one. */
export const BUNDLE_SCHEMA_VERSION = 1 as const;

export interface BundleManifest {
  schemaVersion: typeof BUNDLE_SCHEMA_VERSION;
  kind: 'nvprobe.bundle';
  nvprobeVersion: string;
  createdAt: string;
  hostToken: string;
  /**
   * What recognises the machine across its bundles, redacted or not, without naming it: a keyed
   * hash of /etc/machine-id and the host name (hostToken is the same hash in a redacted bundle);
   * null where the machine has no machine id. Absent in bundles of earlier versions.
   */
  machineToken?: string | null;
  /** The support case this bundle belongs to (`collect --case-id`), if given. */
  caseId?: string;
  redacted: boolean;
  /** Milliseconds the collectors took, probe excluded and included. */
  collectMs: { withoutProbe: number; total: number };
  limits: { maxBundleBytes: number };
  collectors: CollectorRecord[];
}

export interface CollectResult {
  schemaVersion: typeof BUNDLE_SCHEMA_VERSION;
  kind: 'nvprobe.collect';
  bundle: string;
  bytes: number;
  /** sha256 of the bundle file as written (what `sha256sum BUNDLE` prints), to check the copy support received. */
  sha256: string;
  caseId?: string;
  /** Where the map went: under the state dir (redaction-maps/), never beside the bundle under its name. */
  redactionMap: string | null;
  redactions: number;
  collectMs: BundleManifest['collectMs'];
  collectors: Array<{ name: string; status: string; reason: string | null }>;
}

export const REDACTION_MAP_SCHEMA_VERSION = 1;

export interface CollectorRecord {
  name: string;
  gathers: string;
  status: CollectorStatus;
  /** Why skipped or failed, or a note from the collector. */
  reason: string | null;
  startedAt: string;
  ms: number;
  files: number;
  bytes: number;
  /** Paths cut at the per-item (or whole-bundle) limit. */
  truncated: string[];
  timedOut: boolean;
  timeoutMs: number;
  maxItemBytes: number;
}

export type CollectorStatus = 'ok' | 'skipped' | 'failed' | 'timeout';

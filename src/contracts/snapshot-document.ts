import type { SNAPSHOT_SCHEMA_VERSION } from './detect-document.js';

/** The JSON document of `snapshot --json`: what was written. */
export interface CaptureResult {
  schemaVersion: typeof SNAPSHOT_SCHEMA_VERSION;
  dir: string;
  source: 'live' | 'captured-tree';
  files: number;
  links: number;
  dirs: number;
  /** Guest paths whose content was replaced by placeholders. */
  redacted: string[];
  /** Guest paths seen but unreadable, hence absent from the copy. */
  skipped: string[];
}

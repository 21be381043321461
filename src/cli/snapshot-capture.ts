import { detectSnapshot, SNAPSHOT_SCHEMA_VERSION } from '../detect/snapshot.js';
import { redactCapture } from '../detect/redact.js';
import { openRoot } from '../host/open-root.js';
import { RecordingRoot } from '../host/recording-root.js';
import { prepareEmptyDir, writeTree } from '../host/tree-writer.js';

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

/** Name of the file describing a capture; detect never reads it. */
export const CAPTURE_MANIFEST = '/nvprobe-snapshot.json';

/**
 * Run detect once through a recording Root and write exactly what it read into dir: the copy
 * answers every read of `detect --root dir` the way the source answered this one.
 */
export function captureSnapshot(dir: string, sourceRoot?: string): CaptureResult {
  // Validate the source before creating anything.
  const source = openRoot(sourceRoot);
  prepareEmptyDir(dir);
  const recorder = new RecordingRoot(source.dir);
  detectSnapshot(recorder);
  const { entries, redacted } = redactCapture(recorder.entries);
  const manifest = {
    tool: 'nvprobe',
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    source: source.live ? 'live' : 'captured-tree',
    createdAt: new Date().toISOString(),
    redacted,
  };
  entries.set(CAPTURE_MANIFEST, { kind: 'file', content: `${JSON.stringify(manifest, null, 2)}\n` });
  const written = writeTree(dir, entries);
  return {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    dir,
    source: manifest.source as CaptureResult['source'],
    files: written.files - 1,
    links: written.links,
    dirs: written.dirs,
    redacted,
    skipped: written.skipped,
  };
}

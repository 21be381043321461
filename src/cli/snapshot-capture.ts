import { SNAPSHOT_SCHEMA_VERSION } from '../contracts/detect-document.js';
import type { CaptureResult } from '../contracts/snapshot-document.js';
import { detectSnapshot } from '../detect/snapshot.js';
import { redactCapture } from '../detect/redact.js';
import { openRoot } from '../host/open-root.js';
import { RecordingRoot } from '../host/recording-root.js';
import { prepareEmptyDir, writeTree } from '../host/tree-writer.js';

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

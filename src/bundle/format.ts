import { BUNDLE_SCHEMA_VERSION, type BundleManifest } from '../contracts/collect-document.js';
import { usageError } from '../errors.js';
import type { TarEntry } from '../host/tar.js';

/** Where things live inside a bundle (relative member names). */
export const BUNDLE_PATHS = {
  manifest: 'manifest.json',
  version: 'version.json',
  tree: 'tree',
  detect: 'detect.json',
  check: 'check.json',
  probe: 'probe.json',
  state: 'state',
  kernelLog: 'kernel-log.txt',
} as const;

/** Hard limits for what collect writes; far below what readers accept. */
export const BUNDLE_LIMITS = { maxBundleBytes: 5_000_000 } as const;

const BAD = 'give a .tar.gz written by `nvprobe collect`';

/** manifest.json of a read archive, checked: an nvprobe bundle of a schema this version reads. */
export function bundleManifest(file: string, entries: readonly TarEntry[]): BundleManifest {
  const m = entries.find((e) => e.name === BUNDLE_PATHS.manifest);
  if (m === undefined || m.kind !== 'file') throw usageError(`${file} holds no ${BUNDLE_PATHS.manifest}: not an nvprobe bundle`, BAD);
  let doc: Partial<BundleManifest>;
  try {
    doc = JSON.parse(m.data.toString('utf8')) as Partial<BundleManifest>;
  } catch {
    throw usageError(`${file}: ${BUNDLE_PATHS.manifest} is not valid JSON`, BAD);
  }
  if (doc.kind !== 'nvprobe.bundle' || typeof doc.schemaVersion !== 'number') throw usageError(`${file}: ${BUNDLE_PATHS.manifest} does not describe an nvprobe bundle`, BAD);
  if (doc.schemaVersion > BUNDLE_SCHEMA_VERSION) {
    throw usageError(`${file} is a bundle of schema version ${doc.schemaVersion}, newer than this nvprobe reads (${BUNDLE_SCHEMA_VERSION})`, `use nvprobe ${doc.nvprobeVersion ?? 'of the version that wrote it'} or later`);
  }
  return doc as BundleManifest;
}

/** A JSON member of a bundle, or null when absent or unparsable. */
export function bundleJson<T>(entries: readonly TarEntry[], name: string): T | null {
  const e = entries.find((x) => x.name === name);
  if (e === undefined || e.kind !== 'file') return null;
  try {
    return JSON.parse(e.data.toString('utf8')) as T;
  } catch {
    return null;
  }
}

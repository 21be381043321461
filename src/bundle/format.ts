import { BUNDLE_SCHEMA_VERSION, type BundleManifest } from '../contracts/collect-document.js';
import { usageError } from '../errors.js';
import type { TarEntry } from '../host/tar.js';
import { parseUntrustedJson, UntrustedJsonError } from '../host/untrusted-json.js';

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
    doc = parseUntrustedJson(m.data.toString('utf8')) as Partial<BundleManifest>;
  } catch (err) {
    throw usageError(`${file}: ${BUNDLE_PATHS.manifest} ${err instanceof UntrustedJsonError ? err.message : 'is not valid JSON'}`, BAD);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw usageError(`${file}: ${BUNDLE_PATHS.manifest} is not a JSON object`, BAD);
  if (doc.kind !== 'nvprobe.bundle' || typeof doc.schemaVersion !== 'number') throw usageError(`${file}: ${BUNDLE_PATHS.manifest} does not describe an nvprobe bundle`, BAD);
  if (doc.schemaVersion > BUNDLE_SCHEMA_VERSION) {
    throw usageError(
      `${file} is a bundle of schema version ${doc.schemaVersion}, newer than this nvprobe reads (${BUNDLE_SCHEMA_VERSION})`,
      `use nvprobe ${doc.nvprobeVersion ?? 'of the version that wrote it'} or later`,
    );
  }
  return doc as BundleManifest;
}

/**
 * A JSON member of a bundle (a JSON object), or null when absent or not JSON. A member built to
 * hurt its reader (see parseUntrustedJson) is refused (exit 2).
 */
export function bundleJson<T>(entries: readonly TarEntry[], name: string, file = 'the bundle'): T | null {
  const e = entries.find((x) => x.name === name);
  if (e === undefined || e.kind !== 'file') return null;
  let doc: unknown;
  try {
    doc = parseUntrustedJson(e.data.toString('utf8'));
  } catch (err) {
    if (err instanceof UntrustedJsonError) throw usageError(`${file}: ${name} ${err.message}`, BAD);
    return null;
  }
  return doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as T) : null;
}

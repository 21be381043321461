import * as path from 'node:path';
import { bundleManifest, BUNDLE_PATHS } from '../bundle/format.js';
import { usageError } from '../errors.js';
import { extractArchive, readArchive } from '../host/bundle-archive.js';
import { openRoot } from '../host/open-root.js';
import type { Root } from '../host/root.js';

/** `--root DIR` or `--from BUNDLE` (extracted safely to a private temp dir, removed at exit), else live. */
export function openRootOrBundle(opts: { root?: string; from?: string }): Root {
  return openInput(opts).root;
}

/**
 * The same, plus the bundle's copy of the state dir (saved tune runs of the machine it was
 * collected on) when reading a bundle; null otherwise.
 */
export function openInput(opts: { root?: string; from?: string }): { root: Root; bundleStateDir: string | null } {
  if (opts.from === undefined) return { root: openRoot(opts.root), bundleStateDir: null };
  if (opts.root !== undefined) throw usageError('--root and --from both name what to read', 'give one of them');
  const entries = readArchive(opts.from);
  bundleManifest(opts.from, entries);
  if (!entries.some((e) => e.name.startsWith(`${BUNDLE_PATHS.tree}/`))) {
    throw usageError(`${opts.from} holds no captured tree (${BUNDLE_PATHS.tree}/): its snapshot collector did not succeed`, 'see manifest.json in the bundle');
  }
  const extracted = extractArchive(entries);
  return { root: openRoot(path.join(extracted.dir, BUNDLE_PATHS.tree)), bundleStateDir: path.join(extracted.dir, BUNDLE_PATHS.state) };
}

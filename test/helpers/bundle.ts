import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { readTar, type TarEntry } from '../../src/host/tar.js';

/** Every member of a bundle, read with nvprobe's own validating reader. */
export function bundleMembers(file: string): TarEntry[] {
  return readTar(gunzipSync(readFileSync(file)), { maxMemberBytes: 64 << 20, maxMembers: 100_000 });
}

export function member(file: string, name: string): string {
  const e = bundleMembers(file).find((m) => m.name === name);
  if (e?.kind !== 'file') throw new Error(`${name} not in ${file}`);
  return e.data.toString('utf8');
}

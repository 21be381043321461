import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ExitCode, NvprobeError, usageError } from '../errors.js';
import { registerCleanup } from './cleanup.js';
import { readRegularFile } from './safe-read.js';
import { writeFileSafely } from './safe-create.js';
import { writeAllSync } from './write-all.js';
import { readTar, TarError, writeTar, type TarEntry } from './tar.js';

/** Limits a bundle must stay under to be opened: collect writes far less (≤ 5 MB). */
export const EXTRACT_LIMITS = {
  /** Largest .tar.gz file read. */
  maxArchiveBytes: 64 << 20,
  /** Largest uncompressed tar (a gzip bomb stops here). */
  maxTarBytes: 128 << 20,
  maxMemberBytes: 16 << 20,
  maxMembers: 50_000,
};

const BAD_BUNDLE_HINT = 'give a .tar.gz written by `nvprobe collect` (or a RUN.json for report)';

/**
 * Write entries as a gzip'd tar, mode 0600. Refuses an existing file unless force, and reports
 * an unwritable place as bad input (exit 2): nothing is left half-written.
 */
export function writeArchive(file: string, entries: readonly TarEntry[], force: boolean): number {
  const gz = zlib.gzipSync(writeTar(entries), { level: 9 });
  writeNewFile(file, gz, force);
  return gz.length;
}

/** Write a new file (0600) atomically and safely (see safe-create.ts). Refuses an existing one unless force. */
export function writeNewFile(file: string, data: Buffer | string, force: boolean): void {
  writeFileSafely(file, data, { mode: 0o600, replace: force, existsHint: 'choose another name, or pass --force to replace it' });
}

/** Read and validate a bundle without extracting it: every member in memory. */
export function readArchive(file: string): TarEntry[] {
  let gz: Buffer;
  try {
    gz = readRegularFile(file, EXTRACT_LIMITS.maxArchiveBytes);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTREG' || code === 'EISDIR') throw usageError(`${file} is not a regular file`, BAD_BUNDLE_HINT);
    if (code === 'EFBIG') throw usageError(`${file} is larger than any nvprobe bundle (limit ${EXTRACT_LIMITS.maxArchiveBytes} bytes)`, BAD_BUNDLE_HINT);
    throw usageError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'ELOOP' ? 'too many levels of symbolic links (ELOOP)' : `cannot read it (${code ?? String(err)})`}`, BAD_BUNDLE_HINT);
  }
  if (gz.length < 2 || gz[0] !== 0x1f || gz[1] !== 0x8b) throw usageError(`${file} is not a gzip file`, BAD_BUNDLE_HINT);
  let tar: Buffer;
  try {
    tar = zlib.gunzipSync(gz, { maxOutputLength: EXTRACT_LIMITS.maxTarBytes });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || /Cannot create a Buffer larger|larger than/.test(String((err as Error).message))) {
      throw usageError(`${file} unpacks to more than ${EXTRACT_LIMITS.maxTarBytes} bytes: refused (a bundle is a few MB)`, BAD_BUNDLE_HINT);
    }
    throw usageError(`${file} is truncated or corrupt (${(err as Error).message})`, BAD_BUNDLE_HINT);
  }
  try {
    return readTar(tar, EXTRACT_LIMITS);
  } catch (err) {
    if (err instanceof TarError) throw usageError(`${file}: ${err.message}`, BAD_BUNDLE_HINT);
    throw err;
  }
}

export interface ExtractedBundle {
  dir: string;
  remove(): void;
}

/**
 * Extract validated members into a fresh private temp dir, removed at exit. Files are written
 * only at paths with no symlink among their parents (O_EXCL, never following a link).
 */
export function extractArchive(entries: readonly TarEntry[]): ExtractedBundle {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nvprobe-bundle-'));
  const cleanup = registerCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  try {
    for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const host = path.join(dir, e.name);
      ensureParents(dir, e.name);
      if (e.kind === 'dir') {
        if (!fs.existsSync(host)) fs.mkdirSync(host, { mode: 0o700 });
      } else if (e.kind === 'link') {
        fs.symlinkSync(e.target, host);
      } else {
        const fd = fs.openSync(host, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
        try {
          writeAllSync(fd, e.data);
        } finally {
          fs.closeSync(fd);
        }
      }
    }
  } catch (err) {
    cleanup.run();
    if (err instanceof TarError) throw usageError(err.message, BAD_BUNDLE_HINT);
    throw new NvprobeError(`extracting the bundle failed: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { exitCode: ExitCode.failure, cause: err });
  }
  return { dir, remove: () => cleanup.run() };
}

/** Create the parent directories of a member; a symlink (or file) among them is refused. */
function ensureParents(dir: string, name: string): void {
  const parts = name.split('/').slice(0, -1);
  let cur = dir;
  for (const part of parts) {
    cur = path.join(cur, part);
    const st = fs.lstatSync(cur, { throwIfNoEntry: false });
    if (st === undefined) fs.mkdirSync(cur, { mode: 0o700 });
    else if (!st.isDirectory()) throw new TarError(`member ${JSON.stringify(name)} would be written through ${st.isSymbolicLink() ? 'a symlink' : 'a file'}`, name);
  }
}

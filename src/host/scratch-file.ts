import { randomBytes, randomFillSync } from 'node:crypto';
import * as fs from 'node:fs';
import { writeAllAsync } from './write-all.js';
import * as path from 'node:path';
import { NvprobeError } from '../errors.js';
import { registerCleanup } from './cleanup.js';
import { freeBytes, statPath } from './file-info.js';
import { ensureDir, nearestExisting, pidAlive, stateDir } from './state-dir.js';

const CHUNK = 1 << 20;
const BLOCK = 4096;

export interface ScratchFile {
  path: string;
  sizeBytes: number;
  /** Delete the file now (also happens on exit and on SIGINT/SIGTERM). */
  remove(): void;
}

/**
 * The one scratch file size (probe, tune and collect): a span large enough that QD1 random reads
 * rarely hit the same block twice in a run, small enough to write in a second or two. The data
 * is freshly written either way, so a host page cache holds it whatever its size.
 */
export const SCRATCH_BYTES = 256 << 20;

/**
 * Where to put a scratch file so that reads of it hit the root filesystem's device:
 * nvprobe's state dir (/var/lib/nvprobe, or NVPROBE_STATE_DIR) when it is (or, not yet created,
 * would be) on the root filesystem, else / itself. Creates nothing: asking where is not writing.
 */
export function scratchDirOnRootFs(dir?: string): string {
  const rootDev = statPath('/').dev;
  try {
    const state = dir ?? stateDir(); // NVPROBE_STATE_DIR too; refused places fall back to /
    const d = statPath(nearestExisting(path.resolve(state)).existing).dev;
    if (d.major === rootDev.major && d.minor === rootDev.minor) return state;
  } catch {
    // Fall through to the root directory.
  }
  return '/';
}

/**
 * Create a file of real, non-zero, per-block-unique data (an fallocate'd or sparse file reads
 * as zeros without touching the device), fsync it, and remove it however the process ends.
 */
export async function createScratchFile(dir: string, sizeBytes: number, onProgress?: (written: number) => void, beforeWriting?: () => void): Promise<ScratchFile> {
  ensureDir(dir);
  removeOrphans(dir);
  const margin = 256 << 20;
  const free = freeBytes(dir);
  if (free < sizeBytes + margin) {
    throw new NvprobeError(`not enough free space in ${dir} for a ${fmtMiB(sizeBytes)} scratch file (${fmtMiB(free)} free)`, {
      hint: 'use --size to probe a smaller span, or give a TARGET file or device',
    });
  }
  beforeWriting?.(); // said once it is sure to happen: after the space check, before the first byte
  // Unpredictable name, created O_EXCL|O_NOFOLLOW: / is a directory others cannot write, but the name must not be guessable either.
  const file = path.join(dir, `.nvprobe-scratch-${process.pid}-${randomBytes(8).toString('hex')}.dat`);
  const cleanup = registerCleanup(() => fs.rmSync(file, { force: true }));
  const remove = () => cleanup.run();
  const handle = await fs.promises.open(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
  try {
    const base = Buffer.allocUnsafe(CHUNK);
    randomFillSync(base);
    const chunk = Buffer.allocUnsafe(CHUNK);
    for (let pos = 0; pos < sizeBytes; pos += CHUNK) {
      const len = Math.min(CHUNK, sizeBytes - pos);
      base.copy(chunk, 0, 0, len);
      // Stamp each block with its offset so that no two blocks are alike (no dedup, no zero pages).
      for (let b = 0; b < len; b += BLOCK) chunk.writeDoubleLE(pos + b, b);
      await writeAllAsync(handle, chunk, len, pos);
      onProgress?.(pos + len);
    }
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    remove();
    throw err;
  }
  await handle.close();
  return { path: file, sizeBytes, remove };
}

/** Scratch files of processes that no longer exist (killed, power cut): nobody else will remove them. */
export function removeOrphans(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = /^\.nvprobe-scratch-(\d+)-[0-9a-f]+\.dat$/.exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    fs.rmSync(path.join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

function fmtMiB(bytes: number): string {
  return `${Math.round(bytes / (1 << 20))} MiB`;
}

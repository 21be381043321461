import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { RandomOffsets } from '../../src/measure/offsets.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A temp dir on the root filesystem (/var/tmp: O_DIRECT capable, unlike a tmpfs /tmp may be). */
export function diskTempDir(prefix = 'nvprobe-test-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join('/var/tmp', prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function memTempDir(prefix = 'nvprobe-test-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A file whose every 4 KiB block says where it is: bytes 0-7 hold the block's byte offset
 * (LE double), the rest a pattern derived from it. A read of the wrong block, a torn read or
 * zeros cannot pass `checkBlock`.
 */
export function writeOffsetFile(path: string, blocks: number, blockSize = 4096): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    const buf = Buffer.alloc(blockSize * 256);
    for (let first = 0; first < blocks; first += 256) {
      const n = Math.min(256, blocks - first);
      for (let b = 0; b < n; b++) fillBlock(buf.subarray(b * blockSize, (b + 1) * blockSize), (first + b) * blockSize);
      writeSync(fd, buf, 0, n * blockSize);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fillBlock(block: Buffer, offset: number): void {
  block.writeDoubleLE(offset, 0);
  for (let i = 8; i < block.length; i++) block[i] = (offset / 4096 + i * 31) & 0xff;
}

export function expectedBlock(offset: number, blockSize = 4096): Buffer {
  const b = Buffer.alloc(blockSize);
  fillBlock(b, offset);
  return b;
}

/**
 * Read `reads` random blocks plus the first and the last through an open engine, and check each
 * byte for byte against what writeOffsetFile wrote there. Returns how many random reads passed.
 */
export function readAndCheckBlocks(engine: { read(offset: number): void; data: Buffer }, blocks: number, seed: number, reads = 2000): number {
  const offsets = new RandomOffsets(blocks * 4096, 4096, seed);
  let checked = 0;
  for (let i = 0; i < reads; i++) {
    const off = offsets.next();
    engine.read(off);
    // The block at that offset: not a neighbour, a stale buffer or zeros.
    if (!engine.data.equals(expectedBlock(off))) throw new Error(`block at ${off} read back wrong`);
    checked++;
  }
  for (const off of [0, (blocks - 1) * 4096]) {
    engine.read(off);
    if (!engine.data.equals(expectedBlock(off))) throw new Error(`block at ${off} read back wrong`);
  }
  return checked;
}

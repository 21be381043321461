import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export const BLOCK = 4096;

/**
 * The content of block `index` of a lab disk: a readable tag naming disk and block, then bytes
 * that differ per block. A guest read can so prove it got this disk's block at that offset.
 */
export function blockContent(disk: string, index: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  for (let i = 0; i < BLOCK; i++) block[i] = 1 + ((index * 131 + i * 7) % 251);
  block.write(blockTag(disk, index), 0, 'latin1');
  return block;
}

/** The tag at the start of each written block, e.g. "nvprobe-lab disk=vda block=42\n". */
export function blockTag(disk: string, index: number): string {
  return `nvprobe-lab disk=${disk} block=${index}\n`;
}

/**
 * A sparse raw image of `sizeMiB` whose first `dataMiB` hold blockContent(disk, i); the rest
 * reads as zeros without taking host disk space.
 */
export function createDiskImage(file: string, disk: string, sizeMiB: number, dataMiB: number): void {
  const fd = openSync(file, 'w');
  try {
    ftruncateSync(fd, sizeMiB * 1024 * 1024);
    const perChunk = 256; // blocks per write: 1 MiB
    const chunk = Buffer.alloc(perChunk * BLOCK);
    const blocks = (Math.min(dataMiB, sizeMiB) * 1024 * 1024) / BLOCK;
    for (let first = 0; first < blocks; first += perChunk) {
      for (let j = 0; j < perChunk; j++) blockContent(disk, first + j).copy(chunk, j * BLOCK);
      writeSync(fd, chunk, 0, chunk.length, first * BLOCK);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether the file system holding `file` takes O_DIRECT opens: qemu's cache=none needs them
 * (tmpfs before 6.6 refuses). Probed with dd, which every Linux host has.
 */
export function supportsDirectIo(file: string): boolean {
  return spawnSync('dd', [`if=${file}`, 'of=/dev/null', 'bs=4096', 'count=1', 'iflag=direct'], { stdio: 'ignore' }).status === 0;
}

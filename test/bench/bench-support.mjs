// Shared by the fio comparison benchmarks: options, the data file, medians.
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = fileURLToPath(new URL('../..', import.meta.url));
export const nvprobe = join(repo, 'bin/nvprobe');

/** `--name value` from the command line, as a number, or the default. */
export function numericOption(name, dflt, args = process.argv.slice(2)) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

export function requireFio() {
  if (spawnSync('fio', ['--version']).status !== 0) {
    console.error('fio is not installed (apt-get install fio)');
    process.exit(2);
  }
}

/** A file of random data (not sparse: every read must reach the device), fsynced. */
export function makeDataFile(dir, sizeMiB) {
  const file = join(dir, 'bench.dat');
  const fd = openSync(file, 'wx', 0o600);
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < sizeMiB; i++) {
    randomFillSync(chunk);
    writeSync(fd, chunk);
  }
  fsyncSync(fd);
  closeSync(fd);
  return file;
}

export { median } from 'simple-statistics';

export const f3 = (x) => x.toFixed(3);

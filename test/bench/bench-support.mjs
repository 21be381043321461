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

/**
 * fio's QD1 4 KiB random-read job as every bench runs it: O_DIRECT, read-only, time-based with a
 * 1 s ramp, JSON output. `ioengine` pvsync2 or io_uring; `hipri` 0 or 1; `extra` more options.
 */
export function qd1FioArgs(target, { ioengine = 'pvsync2', hipri = 1, runtime, extra = [] }) {
  return [
    '--name=qd1',
    `--filename=${target}`,
    `--ioengine=${ioengine}`,
    `--hipri=${hipri}`,
    '--direct=1',
    '--rw=randread',
    '--bs=4k',
    '--iodepth=1',
    '--readonly',
    '--norandommap',
    '--randrepeat=0',
    '--time_based',
    `--runtime=${runtime}`,
    '--ramp_time=1',
    '--output-format=json',
    ...extra,
  ];
}

/** clat p50/p99 (µs) and IOPS of the job's reads, from fio's JSON output. */
export function parseFioRead(out) {
  const read = JSON.parse(out.slice(out.indexOf('{'))).jobs[0].read;
  return { p50: read.clat_ns.percentile['50.000000'] / 1000, p99: read.clat_ns.percentile['99.000000'] / 1000, iops: read.iops };
}

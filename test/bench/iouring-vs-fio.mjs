#!/usr/bin/env node
// Benchmark (not a timed test): `nvprobe probe --engine io_uring` vs fio's io_uring engine on the same
// targets, interleaved A B A B so that drift on a noisy VM hits both alike. Prints per-pair and median
// ratios, and the per-call cost of each engine's FFI call (io_uring_enter vs preadv2).
// fio runs with hipri=1 (IORING_SETUP_IOPOLL) as nvprobe does where the disk has poll queues; where it
// has none, polled reads fail with EOPNOTSUPP, so fio runs with hipri=0 and the header says so.
// nvprobe times the whole io_uring_enter (submit and wait), so it is compared with fio's total `lat`
// (slat + clat): for io_uring fio starts clat only after the submitting syscall returned, and that
// submission (the device doorbell included, a VM exit in a guest) is a large part of a QD1 read.
// Usage: npm run bench:iouring [-- --pairs 3 --seconds 3 --size-mib 1024 --cpu N]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f3, makeDataFile, median, numericOption, nvprobe, qd1FioArgs, repo, requireFio } from './bench-support.mjs';

const pairs = numericOption('pairs', 3);
const seconds = numericOption('seconds', 3);
const sizeMiB = numericOption('size-mib', 1024);
const cpu = numericOption('cpu', null);

requireFio();

function fioArgs(target, hipri, runtime) {
  return qd1FioArgs(target, { ioengine: 'io_uring', hipri, runtime, extra: ['--lat_percentiles=1', ...(cpu === null ? [] : [`--cpus_allowed=${cpu}`])] });
}

/** hipri=1 where fio's polled reads work on this target, else 0 (EOPNOTSUPP without poll queues). */
function fioHipri(target) {
  const r = spawnSync('fio', fioArgs(target, 1, 1), { encoding: 'utf8' });
  if (r.status === 0) return { hipri: 1, note: 'fio io_uring hipri=1 (IOPOLL)' };
  const why = /error=([^\n]+)/.exec(r.stdout + r.stderr)?.[1] ?? `exit ${r.status}`;
  return { hipri: 0, note: `fio io_uring hipri=0: hipri=1 failed here (${why.trim()}): no poll queues, both complete by interrupt` };
}

function runFio(target, hipri) {
  const out = execFileSync('fio', fioArgs(target, hipri, seconds), { encoding: 'utf8' });
  const read = JSON.parse(out.slice(out.indexOf('{'))).jobs[0].read;
  const us = (h, p) => h.percentile[p] / 1000;
  return { p50: us(read.lat_ns, '50.000000'), p99: us(read.lat_ns, '99.000000'), clatP50: us(read.clat_ns, '50.000000'), slatMean: read.slat_ns.mean / 1000, iops: read.iops };
}

function runNvprobe(target) {
  const pin = cpu === null ? [] : ['--cpu', String(cpu)];
  const out = execFileSync(nvprobe, ['probe', target, '--engine', 'io_uring', '--duration', `${seconds}s`, '--ramp', '1s', ...pin, '--json'], { encoding: 'utf8' });
  const doc = JSON.parse(out);
  const r = doc.result;
  return {
    p50: r.raw.percentilesUs.p50,
    p99: r.raw.percentilesUs.p99,
    p50c: r.corrected.percentilesUs.p50,
    p99c: r.corrected.percentilesUs.p99,
    overhead: r.overhead.perIoUs,
    polled: doc.engine.polled,
    iops: r.iops,
  };
}

const f = f3;

function bench(label, target) {
  const { hipri, note } = fioHipri(target);
  console.log(
    `\n== ${label}: ${pairs} pairs x ${seconds}s${cpu === null ? '' : `, both pinned to CPU ${cpu}`}, fio (A) vs nvprobe --engine io_uring (B)\n   ${note}; fio figures are total lat (slat + clat)`,
  );
  console.log('pair  fio_p50  nv_p50raw  nv_p50corr  ratio_raw  ratio_corr | fio_p99  nv_p99raw  nv_p99corr  ratio_raw  ratio_corr | overhead_us  polled | fio_clat_p50  fio_slat_mean');
  const rows = [];
  let polled;
  for (let i = 0; i < pairs; i++) {
    const a = runFio(target, hipri);
    const b = runNvprobe(target);
    polled = b.polled;
    const row = { a, b, r50: b.p50 / a.p50, r50c: b.p50c / a.p50, r99: b.p99 / a.p99, r99c: b.p99c / a.p99 };
    rows.push(row);
    console.log(
      `${String(i + 1).padEnd(4)}  ${a.p50.toFixed(1).padStart(7)}  ${b.p50.toFixed(1).padStart(9)}  ${b.p50c.toFixed(1).padStart(10)}  ${f(row.r50).padStart(9)}  ${f(row.r50c).padStart(10)} | ${a.p99.toFixed(1).padStart(7)}  ${b.p99.toFixed(1).padStart(9)}  ${b.p99c.toFixed(1).padStart(10)}  ${f(row.r99).padStart(9)}  ${f(row.r99c).padStart(10)} | ${b.overhead.toFixed(2).padStart(11)}  ${String(b.polled.polled).padEnd(6)} | ${a.clatP50.toFixed(1).padStart(12)}  ${a.slatMean.toFixed(1).padStart(13)}`,
    );
  }
  const summary = {
    fioHipri: hipri,
    nvprobePolled: polled,
    medianRatioP50Raw: median(rows.map((r) => r.r50)),
    medianRatioP50Corrected: median(rows.map((r) => r.r50c)),
    medianRatioP99Raw: median(rows.map((r) => r.r99)),
    medianRatioP99Corrected: median(rows.map((r) => r.r99c)),
    medianOverheadUs: median(rows.map((r) => r.b.overhead)),
    medianFioSlatUs: median(rows.map((r) => r.a.slatMean)),
  };
  console.log(
    `median: p50 raw ${f(summary.medianRatioP50Raw)}, p50 corrected ${f(summary.medianRatioP50Corrected)} (target 0.98..1.02), p99 raw ${f(summary.medianRatioP99Raw)}, p99 corrected ${f(summary.medianRatioP99Corrected)}, overhead ${summary.medianOverheadUs.toFixed(2)} us/IO`,
  );
  console.log(`nvprobe polled: ${polled.polled} (${polled.reason})`);
  return summary;
}

/** Tight-loop cost of each engine's no-kernel call (ffi) and of its empty syscall beyond that. */
async function callCosts(file) {
  const { IoUringEngine } = await import(join(repo, 'dist/io/io-uring.js'));
  const { Psync2Engine } = await import(join(repo, 'dist/io/psync2.js'));
  const { calibrate } = await import(join(repo, 'dist/measure/calibrate.js'));
  const uring = new IoUringEngine({ path: file, blockSize: 4096, poll: false });
  const psync2 = new Psync2Engine({ path: file, blockSize: 4096, hipri: true });
  const out = { io_uring: [], psync2: [] };
  try {
    for (let i = 0; i < 3; i++) {
      out.io_uring.push(calibrate(uring, 20000));
      out.psync2.push(calibrate(psync2, 20000));
    }
  } finally {
    uring.close();
    psync2.close();
  }
  console.log('\n== per-call cost (tight loop, 3 x 20000 calls each, medians)');
  console.log('engine     ffi call (noop)   p10..p90         empty syscall beyond it');
  const costs = {};
  for (const [name, runs] of Object.entries(out)) {
    const ffi = median(runs.map((c) => c.ffiUs));
    const empty = median(runs.map((c) => c.emptySyscallUs));
    costs[name] = { ffiUs: ffi, emptySyscallUs: empty };
    const c = runs[runs.length - 1];
    console.log(`${name.padEnd(9)}  ${ffi.toFixed(2).padStart(8)} us       ${c.ffiP10Us.toFixed(2)}..${c.ffiP90Us.toFixed(2)} us   ${empty.toFixed(2)} us`);
  }
  console.log('(io_uring: labs() declared like io_uring_enter, 6 x I64; empty = io_uring_enter(fd, 0, 0, 0). psync2: labs() like preadv2, 5 args; empty = preadv2 with iovcnt 0)');
  return costs;
}

const dir = mkdtempSync(join('/var/tmp', 'nvprobe-bench-'));
let loop;
try {
  const file = makeDataFile(dir, sizeMiB);
  const results = { callCosts: await callCosts(file), file: bench('file on the root filesystem', file) };
  loop = execFileSync('losetup', ['--direct-io=on', '-f', '--show', '-r', file], { encoding: 'utf8' }).trim();
  results.loop = bench(`loop device ${loop} (direct-io, read-only)`, loop);
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results, null, 2));
  console.log(`\n${JSON.stringify(results)}`);
} finally {
  if (loop) spawnSync('losetup', ['-d', loop]);
  rmSync(dir, { recursive: true, force: true });
}

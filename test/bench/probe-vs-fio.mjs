#!/usr/bin/env node
// Benchmark (not a timed test): nvprobe probe vs fio pvsync2 hipri=1 on the same targets, interleaved
// A B A B so that drift on a noisy VM hits both alike. Prints per-pair and median ratios.
// Usage: npm run bench:probe [-- --pairs 3 --seconds 3]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f3, makeDataFile, median, numericOption, nvprobe, parseFioRead, qd1FioArgs, requireFio } from './bench-support.mjs';

const pairs = numericOption('pairs', 3);
const seconds = numericOption('seconds', 3);
const sizeMiB = numericOption('size-mib', 1024);

requireFio();

function runFio(target) {
  return parseFioRead(execFileSync('fio', qd1FioArgs(target, { runtime: seconds }), { encoding: 'utf8' }));
}

function runNvprobe(target) {
  const out = execFileSync(nvprobe, ['probe', target, '--duration', `${seconds}s`, '--ramp', '1s', '--json'], { encoding: 'utf8' });
  const r = JSON.parse(out).result;
  return {
    p50: r.raw.percentilesUs.p50,
    p99: r.raw.percentilesUs.p99,
    p50c: r.corrected.percentilesUs.p50,
    p99c: r.corrected.percentilesUs.p99,
    overhead: r.overhead.perIoUs,
    iops: r.iops,
  };
}

const f = f3;

function bench(label, target) {
  console.log(`\n== ${label}: ${pairs} pairs x ${seconds}s, fio pvsync2 hipri=1 (A) vs nvprobe psync2 (B)`);
  console.log('pair  fio_p50  nv_p50raw  nv_p50corr  ratio_raw  ratio_corr | fio_p99  nv_p99raw  nv_p99corr  ratio_raw  ratio_corr | overhead_us');
  const rows = [];
  for (let i = 0; i < pairs; i++) {
    const a = runFio(target);
    const b = runNvprobe(target);
    const row = { a, b, r50: b.p50 / a.p50, r50c: b.p50c / a.p50, r99: b.p99 / a.p99, r99c: b.p99c / a.p99 };
    rows.push(row);
    console.log(
      `${String(i + 1).padEnd(4)}  ${a.p50.toFixed(1).padStart(7)}  ${b.p50.toFixed(1).padStart(9)}  ${b.p50c.toFixed(1).padStart(10)}  ${f(row.r50).padStart(9)}  ${f(row.r50c).padStart(10)} | ${a.p99.toFixed(1).padStart(7)}  ${b.p99.toFixed(1).padStart(9)}  ${b.p99c.toFixed(1).padStart(10)}  ${f(row.r99).padStart(9)}  ${f(row.r99c).padStart(10)} | ${b.overhead.toFixed(2)}`,
    );
  }
  const summary = {
    medianRatioP50Raw: median(rows.map((r) => r.r50)),
    medianRatioP50Corrected: median(rows.map((r) => r.r50c)),
    medianRatioP99Raw: median(rows.map((r) => r.r99)),
    medianRatioP99Corrected: median(rows.map((r) => r.r99c)),
    medianOverheadUs: median(rows.map((r) => r.b.overhead)),
  };
  console.log(
    `median: p50 raw ${f(summary.medianRatioP50Raw)}, p50 corrected ${f(summary.medianRatioP50Corrected)} (target 0.98..1.02), p99 raw ${f(summary.medianRatioP99Raw)}, p99 corrected ${f(summary.medianRatioP99Corrected)}, overhead ${summary.medianOverheadUs.toFixed(2)} us/IO (target <= 3)`,
  );
  return summary;
}

const dir = mkdtempSync(join('/var/tmp', 'nvprobe-bench-'));
let loop;
try {
  const file = makeDataFile(dir, sizeMiB);
  const results = { file: bench('file on the root filesystem', file) };
  loop = execFileSync('losetup', ['--direct-io=on', '-f', '--show', '-r', file], { encoding: 'utf8' }).trim();
  results.loop = bench(`loop device ${loop} (direct-io, read-only)`, loop);
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results, null, 2));
  console.log(`\n${JSON.stringify(results)}`);
} finally {
  if (loop) spawnSync('losetup', ['-d', loop]);
  rmSync(dir, { recursive: true, force: true });
}

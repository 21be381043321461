// What one run of nvprobe-watch.service costs, and an hour of them: runs the probe command of the
// unit's ExecStart (as the unit has it, this checkout's nvprobe in place of /usr/bin/nvprobe) under
// /usr/bin/time, N times, and prints the median and the largest wall time, CPU time (user + system),
// bytes read and written (the block I/O the kernel accounted to it: O_DIRECT reads included) and peak
// memory, then an hour's worth at the timer's period.
//   npm run bench:watch [-- --runs 10] [-- --target FILE]
// Without --target the probe reads the root filesystem's disk, as the unit does. Where that disk
// cannot be opened (a container), give a data file on it: probe would otherwise write its 256 MiB
// scratch file each run, which the unit forbids (its state dir is read-only) and is not its budget.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, nvprobe, numericOption, repo } from './bench-support.mjs';

const args = process.argv.slice(2);
const runs = numericOption('runs', 10, args);
const t = args.indexOf('--target');
const target = t >= 0 ? args[t + 1] : undefined;
if (spawnSync('/usr/bin/time', ['true']).status !== 0) {
  console.error('/usr/bin/time is not installed (apt-get install time)');
  process.exit(2);
}

const unit = readFileSync(join(repo, 'packaging/systemd/nvprobe-watch.service'), 'utf8');
const exec = /^ExecStart=.*exec \/usr\/bin\/nvprobe (probe .*?) -o "\$\$d\/nvprobe\.prom"'$/m.exec(unit);
if (!exec) throw new Error('nvprobe-watch.service: no `exec /usr/bin/nvprobe probe ... -o "$$d/nvprobe.prom"` in its ExecStart');
const probeArgs = exec[1].split(' ');
const timer = readFileSync(join(repo, 'packaging/systemd/nvprobe-watch.timer'), 'utf8');
const every = /^OnCalendar=\*:0\/(\d+)$/m.exec(timer);
if (!every) throw new Error('nvprobe-watch.timer: no OnCalendar=*:0/N');
const perHour = 60 / Number(every[1]);

const dir = mkdtempSync(join(tmpdir(), 'nvprobe-watch-budget-'));
const rows = [];
try {
  for (let i = 0; i < runs; i++) {
    const argv = [...probeArgs, ...(target ? [target] : []), '-o', join(dir, 'nvprobe.prom')];
    const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %I %O %M', nvprobe, ...argv], { encoding: 'utf8' });
    const m = /^TIME (\S+) (\S+) (\S+) (\d+) (\d+) (\d+)$/m.exec(r.stderr);
    if (r.status !== 0 || !m) throw new Error(`nvprobe ${argv.join(' ')} exited ${r.status}\n${r.stderr}`);
    const [wall, user, sys, inBlocks, outBlocks, rssKiB] = m.slice(1).map(Number);
    rows.push({ wall, cpu: user + sys, readMiB: (inBlocks * 512) / 2 ** 20, writtenMiB: (outBlocks * 512) / 2 ** 20, rssMiB: rssKiB / 1024 });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const col = (k) => rows.map((r) => r[k]);
const fmt = (x) => x.toFixed(2);
console.log(`nvprobe ${probeArgs.join(' ')}${target ? ` ${target}` : ''} -o FILE, ${runs} runs; ${perHour} runs an hour (every ${every[1]} min)`);
console.log('                 median     max   an hour (median × runs)');
for (const [label, k] of [
  ['wall time s', 'wall'],
  ['CPU time s', 'cpu'],
  ['read MiB', 'readMiB'],
  ['written MiB', 'writtenMiB'],
]) {
  console.log(`${label.padEnd(14)} ${fmt(median(col(k))).padStart(8)} ${fmt(Math.max(...col(k))).padStart(7)} ${fmt(median(col(k)) * perHour).padStart(9)}`);
}
console.log(`peak memory MiB ${fmt(median(col('rssMiB'))).padStart(7)} ${fmt(Math.max(...col('rssMiB'))).padStart(7)}`);

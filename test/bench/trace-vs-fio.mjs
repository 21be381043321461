#!/usr/bin/env node
// Benchmark (not a timed test): nvprobe's kernel clock vs fio pvsync2 hipri=1 clat, interleaved A B A B
// on zram0 (a 3 µs bio-based device) and on a file on the root filesystem. Prints, per target:
//   - nvprobe kernel-clock p50/p99 and FFI-calibrated p50/p99 as ratios to fio's clat (targets: p50 ±3 % file,
//     ±5 % zram0; p99 ±10 %), and tracing's own cost per read as nvprobe measured it (events on vs off rounds):
//     for the slices the total comes from (syscall events only) and for the phases' slices (every event on);
//   - fio's own reads traced with nvprobe's layer (filter comm == "fio"): fio clat vs the kernel's syscall
//     entry → exit of the same reads — the part of clat the kernel clock leaves out by definition (syscall
//     entry/exit and fio's clock reads) — and nvprobe's phases next to fio's, phase by phase.
// zram0 is sized, filled and reset in finally. Usage: npm run bench:trace [-- --pairs 3 --seconds 3 --size-mib 1024]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDataFile, median, numericOption, nvprobe, parseFioRead, qd1FioArgs, repo, requireFio } from './bench-support.mjs';

const pairs = numericOption('pairs', 3);
const seconds = numericOption('seconds', 3);
const sizeMiB = numericOption('size-mib', 1024);

requireFio();
if (process.geteuid() !== 0) {
  console.error('bench:trace needs root (tracefs, zram0)');
  process.exit(2);
}

const { ProbeTracer } = await import(join(repo, 'dist/trace/probe-tracer.js'));
const { traceDevices } = await import(join(repo, 'dist/trace/target-devices.js'));
const { Root } = await import(join(repo, 'dist/host/root.js'));

const fioArgs = (target, runtime) => qd1FioArgs(target, { runtime });
const parseFio = parseFioRead;

const runFio = (target) => parseFio(execFileSync('fio', fioArgs(target, seconds), { encoding: 'utf8' }));

function runNvprobe(target) {
  const doc = JSON.parse(execFileSync(nvprobe, ['probe', target, '--engine', 'psync2', '--duration', `${seconds}s`, '--ramp', '1s', '--json'], { encoding: 'utf8' }));
  const r = doc.result;
  const k = doc.kernelClock;
  if (!k.available) throw new Error(`nvprobe could not trace ${target}: ${k.reason}`);
  return {
    kp50: k.total.latency.percentilesUs.p50,
    kp99: k.total.latency.percentilesUs.p99,
    // The headline: the native estimate (window + boundary − tracing's in-window cost), else as traced.
    hp50: (k.native?.total ?? k.total).latency.percentilesUs.p50,
    hp99: (k.native?.total ?? k.total).latency.percentilesUs.p99,
    corrected: Boolean(k.native),
    native: k.native,
    nativeReason: k.nativeReason,
    cp50: r.corrected.percentilesUs.p50,
    cp99: r.corrected.percentilesUs.p99,
    overheadUs: k.overhead.perIoUs,
    allEventsOverheadUs: k.overhead.phaseSlices?.perIoUs ?? null,
    totalFrom: k.totalFrom ?? 'all-events',
    lost: k.lostEvents,
    reads: k.reads,
    issued: k.readsIssued,
    phases: k.phases,
  };
}

/** fio's own reads, traced by comm with nvprobe's layer, drained every 20 ms while fio runs. */
async function traceFio(target, disk) {
  const tracer = ProbeTracer.open({ syscall: 'preadv2', who: { comm: 'fio' }, devs: traceDevices(new Root('/'), target, disk) }, { bufferKb: 32768 });
  let fio;
  try {
    tracer.start();
    const child = spawn('fio', fioArgs(target, seconds), { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const timer = setInterval(() => tracer.drainNow(), 20);
    await new Promise((resolve, reject) => child.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`fio exit ${c}`)))));
    clearInterval(timer);
    fio = parseFio(out);
    const k = tracer.finish();
    if (!k.available) throw new Error(`tracing fio failed: ${k.reason}`);
    return { fio, k };
  } finally {
    tracer.close();
  }
}

const f1 = (x) => (x === null || x === undefined ? '-' : x.toFixed(2));
const r3 = (x) => x.toFixed(3);
const verdict = (ratio, tol) => (Math.abs(ratio - 1) <= tol ? 'within' : 'OUTSIDE');

async function bench(label, target, disk, p50Tol) {
  console.log(`\n== ${label}: ${pairs} pairs x ${seconds}s, fio pvsync2 hipri=1 (A) vs nvprobe --engine psync2 (B)`);
  console.log('pair  fio_p50  nv_kern_p50  nv_corr_p50  r_kern  r_corr | fio_p99  nv_kern_p99  nv_corr_p99  r_kern  r_corr | trace_cost_us (total / all events)  lost  timed/issued  total from');
  console.log("      headline: the native estimate (kernel window + syscall boundary − tracing's in-window cost), r_head");
  const rows = [];
  for (let i = 0; i < pairs; i++) {
    const a = runFio(target);
    const b = runNvprobe(target);
    const row = { a, b, rk50: b.kp50 / a.p50, rc50: b.cp50 / a.p50, rk99: b.kp99 / a.p99, rc99: b.cp99 / a.p99, rh50: b.hp50 / a.p50, rh99: b.hp99 / a.p99 };
    rows.push(row);
    console.log(
      `${String(i + 1).padEnd(4)}  ${f1(a.p50).padStart(7)}  ${f1(b.kp50).padStart(11)}  ${f1(b.cp50).padStart(11)}  ${r3(row.rk50).padStart(6)}  ${r3(row.rc50).padStart(6)} | ${f1(a.p99).padStart(7)}  ${f1(b.kp99).padStart(11)}  ${f1(b.cp99).padStart(11)}  ${r3(row.rk99).padStart(6)}  ${r3(row.rc99).padStart(6)} | ${f1(b.overheadUs).padStart(13)} / ${f1(b.allEventsOverheadUs).padEnd(20)}  ${String(b.lost).padStart(4)}  ${b.reads}/${b.issued}  ${b.totalFrom}`,
    );
    const n = b.native;
    console.log(
      `      headline p50 ${f1(b.hp50)} (r_head ${r3(row.rh50)}), p99 ${f1(b.hp99)} (r_head ${r3(row.rh99)}); ` +
        (n ? `native estimate: boundary ${r3(n.boundaryUs)} − in-window ${r3(n.inWindowUs)} µs (± ${r3(n.uncertaintyUs)})` : `as traced: ${b.nativeReason ?? 'no native estimate in this document'}`),
    );
  }
  const m = (k) => median(rows.map((r) => r[k]));
  const s = {
    p50Headline: m('rh50'),
    p99Headline: m('rh99'),
    corrected: rows.filter((r) => r.b.corrected).length,
    p50Kernel: m('rk50'),
    p50Calibrated: m('rc50'),
    p99Kernel: m('rk99'),
    p99Calibrated: m('rc99'),
    tracingCostUs: median(rows.map((r) => r.b.overheadUs ?? NaN)),
    allEventsCostUs: median(rows.map((r) => r.b.allEventsOverheadUs ?? NaN)),
    totalFrom: rows[0].b.totalFrom,
  };
  console.log(
    `median ratio to fio clat, headline (native estimate in ${s.corrected} of ${rows.length} runs): p50 ${r3(s.p50Headline)} (${verdict(s.p50Headline, p50Tol)} ±${p50Tol * 100} %), ` +
      `p99 ${r3(s.p99Headline)} (${verdict(s.p99Headline, 0.1)} ±10 %)`,
  );
  console.log(
    `median ratio to fio clat, as traced: p50 kernel ${r3(s.p50Kernel)} (${verdict(s.p50Kernel, p50Tol)} ±${p50Tol * 100} %), calibrated ${r3(s.p50Calibrated)}; ` +
      `p99 kernel ${r3(s.p99Kernel)} (${verdict(s.p99Kernel, 0.1)} ±10 %), calibrated ${r3(s.p99Calibrated)}; tracing cost ${f1(s.tracingCostUs)} µs/read`,
  );

  // fio's own reads on the kernel clock: what clat has that the kernel clock has not, and phase by phase.
  const t = await traceFio(target, disk);
  const fk = t.k;
  const last = rows[rows.length - 1].b;
  // fio's reads are traced with every event on: compare with nvprobe's phase slices' own total.
  const nvPhasedP50 = last.phases?.total?.latency.percentilesUs.p50 ?? last.kp50;
  console.log(
    `fio traced (comm fio): ${fk.reads} reads timed, ${fk.lostEvents} events lost; fio clat p50 ${f1(t.fio.p50)} vs its syscall entry → exit p50 ${f1(fk.total.latency.percentilesUs.p50)} µs: ` +
      `clat − kernel = ${f1(t.fio.p50 - fk.total.latency.percentilesUs.p50)} µs (syscall entry/exit + fio's clock, by definition outside the kernel clock; traced run)`,
  );
  s.fioClatMinusKernelUs = t.fio.p50 - fk.total.latency.percentilesUs.p50;
  s.p50KernelVsFioKernel = nvPhasedP50 / fk.total.latency.percentilesUs.p50;
  if (fk.phases && last.phases) {
    console.log('phase p50 / p99 µs                 fio          nvprobe');
    for (const [name, key] of [
      ['submit', 'submit'],
      ['device and host', 'device'],
      ['completion → return', 'completion'],
    ]) {
      const a = fk.phases[key].latency.percentilesUs;
      const b = last.phases[key].latency.percentilesUs;
      console.log(`${name.padEnd(30)} ${f1(a.p50).padStart(6)} / ${f1(a.p99).padEnd(7)} ${f1(b.p50).padStart(6)} / ${f1(b.p99)}`);
    }
    const ga = fk.phases.guestSide.percentilesUs;
    const gb = last.phases.guestSide.percentilesUs;
    console.log(`${'guest-side'.padEnd(30)} ${f1(ga.p50).padStart(6)} / ${f1(ga.p99).padEnd(7)} ${f1(gb.p50).padStart(6)} / ${f1(gb.p99)}`);
    console.log(`kernel total p50, every event on: fio ${f1(fk.total.latency.percentilesUs.p50)} vs nvprobe's phase slices ${f1(nvPhasedP50)} (ratio ${r3(s.p50KernelVsFioKernel)})`);
  }
  return s;
}

const results = {};
let zramSized = false;
const dir = mkdtempSync(join('/var/tmp', 'nvprobe-bench-'));
try {
  if (existsSync('/sys/block/zram0') && readFileSync('/sys/block/zram0/disksize', 'utf8').trim() === '0') {
    writeFileSync('/sys/block/zram0/disksize', '1G');
    zramSized = true;
    execFileSync('dd', ['if=/dev/urandom', 'of=/dev/zram0', 'bs=1M', 'count=1024', 'oflag=direct', 'status=none']);
    results.zram0 = await bench('zram0 (bio-based, ~3 µs)', '/dev/zram0', 'zram0', 0.05);
  } else {
    console.log('\n== zram0: absent or in use (disksize not 0): skipped');
  }
  const file = makeDataFile(dir, sizeMiB);
  const disk = spawnSync('lsblk', ['-no', 'PKNAME', spawnSync('df', ['--output=source', file], { encoding: 'utf8' }).stdout.split('\n')[1].trim()], { encoding: 'utf8' }).stdout.trim() || null;
  results.file = await bench('file on the root filesystem', file, disk, 0.03);
  console.log(`\n${JSON.stringify(results)}`);
} finally {
  if (zramSized) writeFileSync('/sys/block/zram0/reset', '1');
  rmSync(dir, { recursive: true, force: true });
}

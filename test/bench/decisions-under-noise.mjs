// How often tune keeps a change that does nothing, and how often it keeps one that helps, on a
// machine that is not quiet. Every run is a real `nvprobe tune --yes --json` with one rule on a
// loop device; the figures are counts against the rate the decision rule states.
//
// Scenarios (each --runs times):
//   noop-onoff    nomerges=1 (cannot matter for QD1 random reads) on a loop device over tmpfs,
//                 while CPU hogs on every vCPU are stopped and resumed every 0.5–1.5 s.
//   noop-quiet    the same no-op change with nothing else running (the time a decision takes).
//   noop-ramp     the same no-op change on a loop device over a delay device whose delay rises
//                 steadily during the run (a host whose latency drifts under the measurement).
//   effect-quiet  a change with a real effect: the delay device is faster by --effect (default
//                 10 %) while the loop device's nomerges is 1; nothing else running.
//   effect-onoff  the same real effect under the on/off CPU load.
//   effect-ramp   the same real effect while the delay rises as in noop-ramp.
// The delay device is a FUSE file (test/bench/support/delay-device.py, Debian's python3-fusepy):
// dm-delay does the same on kernels with device-mapper; this one works without it. fio measures
// the delay device in both states in the same run: the effect's size as fio sees it.
//
// Usage: npm run bench:decisions [-- --runs 20 --scenarios noop-onoff,effect-quiet --effect 0.10 --out FILE]
// Needs root. Restores what it touches in finally: loop devices, the mount, nomerges.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numericOption, nvprobe, parseFioRead, qd1FioArgs, repo } from './bench-support.mjs';

const runs = numericOption('runs', 20);
const effect = numericOption('effect', 0.1);
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : dflt);
const scenarios = opt('scenarios', 'noop-quiet,noop-onoff,noop-ramp,effect-quiet,effect-onoff,effect-ramp').split(',');
const outFile = opt('out', null);
const ROUND = opt('round', '150ms');

if (process.getuid?.() !== 0) {
  console.error('needs root (loop devices, a FUSE mount, queue attributes)');
  process.exit(2);
}
const python = '/usr/bin/python3';
if (spawnSync(python, ['-c', 'import fusepy'], { stdio: 'ignore' }).status !== 0) {
  console.error('the delay device needs python3-fusepy (apt-get install python3-fusepy)');
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'nvprobe-decisions-'));
const cleanups = [];
const sh = (cmd, a) => {
  const r = spawnSync(cmd, a, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${a.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A loop device over `file`; detached in finally. */
function loopOver(file) {
  const dev = sh('losetup', ['-f', '--show', file]);
  cleanups.push(() => spawnSync('losetup', ['-d', dev]));
  return { dev, name: dev.replace('/dev/', '') };
}

function rule(dir, loopName) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'bench.yaml'),
    `rules:
  - id: bench-nomerges
    title: "bench: nomerges of ${loopName}"
    scope: disk
    severity: low
    applies: { field: disk.name, equals: ${loopName} }
    check: { field: disk.transport, equals: loop }
    rationale: the change under test in the decisions bench.
    references: [bench]
    actions:
      - { kind: queue-attr, attr: nomerges, value: 1 }
`,
  );
}

/** The delay device: a FUSE file whose reads sleep the µs in `control`; faster by `by` while nomerges of `loopName` is 1. */
async function delayDevice(name, by) {
  const dir = join(work, name);
  mkdirSync(join(dir, 'mnt'), { recursive: true });
  const control = join(dir, 'delay-us');
  writeFileSync(control, '400');
  const extra = by > 0 ? ['--faster-when', `${dir}/nomerges-path=1`] : [];
  // The loop device does not exist yet: the daemon reads the attribute through a symlink made after losetup.
  const daemon = spawn(python, [join(repo, 'test/bench/support/delay-device.py'), join(dir, 'mnt'), control, String(256 << 20), ...extra, '--faster-by', String(by)], { stdio: 'ignore' });
  cleanups.push(() => {
    spawnSync('umount', ['-l', join(dir, 'mnt')]);
    daemon.kill('SIGKILL');
  });
  for (let i = 0; i < 50 && !existsSync(join(dir, 'mnt', 'disk')); i++) await sleep(100);
  const loop = loopOver(join(dir, 'mnt', 'disk'));
  spawnSync('ln', ['-sf', `/sys/block/${loop.name}/queue/nomerges`, `${dir}/nomerges-path`]);
  return { ...loop, control };
}

/** CPU hogs on every vCPU, stopped and resumed every 0.5–1.5 s while `on`. */
function onOffLoad() {
  const n = Number(sh('nproc', []));
  const hogs = Array.from({ length: n }, () => spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
  cleanups.push(() => {
    for (const h of hogs) h.kill('SIGKILL');
  });
  let running = true;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const h of hogs) h.kill(running ? 'SIGSTOP' : 'SIGCONT');
      running = !running;
      await sleep(500 + Math.random() * 1000);
    }
    for (const h of hogs) h.kill('SIGCONT');
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      for (const h of hogs) h.kill('SIGKILL');
    },
  };
}

/** Raise the delay by `perSecond` µs every second from `from`, written every 100 ms; stop() ends it. */
function ramp(control, from, perSecond) {
  let stopped = false;
  const t0 = Date.now();
  const loop = (async () => {
    while (!stopped) {
      writeFileSync(control, String(Math.round(from + ((Date.now() - t0) / 1000) * perSecond)));
      await sleep(100);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      writeFileSync(control, String(from));
    },
  };
}

function tune(dev, rulesDir, state) {
  return new Promise((resolve) => {
    const child = spawn(nvprobe, ['tune', dev, '--yes', '--json', '--no-trace', '--rules', rulesDir, '--only', 'bench-nomerges', '--state-dir', state, '--round', ROUND], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      spawnSync(nvprobe, ['revert', '--state-dir', state], { stdio: 'ignore' });
      rmSync(state, { recursive: true, force: true });
      if (code !== 0) return resolve({ error: `exit ${code}: ${err.trim()}` });
      const doc = JSON.parse(out);
      const c = doc.result.changes[0];
      resolve({
        decision: c.decision,
        outcome: c.evidence?.outcome,
        ratio: c.medianRatio,
        interval: c.evidence?.interval,
        blocks: c.evidence?.blocks,
        decisionMs: c.elapsedMs,
        runMs: doc.result.elapsedMs,
        noise: doc.result.noise?.spread,
        rounds: c.blocks?.map((b) => ({ order: b.order, a: b.a.map((r) => r.p50Us), b: b.b.map((r) => r.p50Us) })),
      });
    });
  });
}

function fioP50(dev) {
  const r = spawnSync('fio', qd1FioArgs(dev, { hipri: 0, runtime: 4 }), { encoding: 'utf8' });
  return r.status === 0 ? parseFioRead(r.stdout).p50 : null;
}

const pct = (x) => `${(x * 100).toFixed(1)} %`;
const quant = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};

// Ctrl-C or a kill: the hogs, loop devices and the mount must not outlive the bench.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const c of cleanups.reverse()) {
      try {
        c();
      } catch {}
    }
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  });
}

const all = {};
try {
  const tmpfsLoop = () => {
    const dir = join(work, 'tmpfs');
    mkdirSync(dir);
    sh('mount', ['-t', 'tmpfs', '-o', 'size=300m', 'nvprobe-bench', dir]);
    cleanups.push(() => spawnSync('umount', ['-l', dir]));
    const file = join(dir, 'disk.img');
    sh('truncate', ['-s', '256M', file]);
    return loopOver(file);
  };
  const devices = {};
  const device = async (kind) => {
    if (devices[kind]) return devices[kind];
    if (kind === 'tmpfs') devices[kind] = tmpfsLoop();
    else devices[kind] = await delayDevice(kind, 0);
    return devices[kind];
  };
  for (const sc of scenarios) {
    let dev;
    if (sc === 'noop-onoff' || sc === 'noop-quiet') dev = await device('tmpfs');
    else if (sc === 'noop-ramp') dev = await device('ramp');
    else dev = devices.effect ?? (devices.effect = await effectDevice());
    const rulesDir = join(work, `rules-${dev.name}`);
    rule(rulesDir, dev.name);
    const results = [];
    console.error(`${sc}: ${runs} runs on ${dev.dev}`);
    for (let i = 0; i < runs; i++) {
      const load = sc.endsWith('onoff') ? onOffLoad() : null;
      const drift = sc.endsWith('-ramp') ? ramp(dev.control, 300, 12) : null;
      const r = await tune(dev.dev, rulesDir, join(work, `state-${sc}-${i}`));
      await load?.stop();
      await drift?.stop();
      results.push(r);
      console.error(
        `  ${i + 1}/${runs}: ${r.error ?? `${r.decision} (${r.outcome}, ratio ${r.ratio?.toFixed(3)}, interval ${r.interval?.map((x) => x?.toFixed(3)).join('–')}, ${r.blocks} blocks, ${(r.decisionMs / 1000).toFixed(1)} s)`}`,
      );
    }
    all[sc] = results;
  }
} finally {
  for (const c of cleanups.reverse()) {
    try {
      c();
    } catch {}
  }
  rmSync(work, { recursive: true, force: true });
}

/** The delay device with a real effect: `effect` lower latency while nomerges is 1, sized from fio's p50 of the base device. */
async function effectDevice() {
  // First the base latency (fio, nomerges 0): the delay's share of it sets how much faster the delay
  // must be. Sleeps overshoot, so one correction from the measured effect brings it near the target.
  const probe = await delayDevice('effect-calibrate', 0);
  const base = fioP50(probe.dev) ?? 700;
  const delay = 400;
  let by = Math.min(0.9, (effect * base) / delay);
  let dev = await delayDevice('effect', by);
  let size = await measureEffect(dev);
  if (size && Math.abs(size.effect - effect) > 0.015) {
    by = Math.min(0.9, (by * effect) / size.effect);
    dev = await delayDevice('effect-corrected', by);
    size = await measureEffect(dev);
  }
  all.effectSize = size;
  return dev;
}

/** fio's p50 of the device with nomerges 0 and 1, interleaved (slow fast fast slow) so that drift does not size the effect. */
async function measureEffect(dev) {
  const set = async (v) => {
    writeFileSync(`/sys/block/${dev.name}/queue/nomerges`, v);
    await sleep(100);
  };
  const p = [];
  for (const v of ['0', '1', '1', '0']) {
    await set(v);
    p.push(fioP50(dev.dev));
  }
  await set('0');
  const slow = p[0] && p[3] ? (p[0] + p[3]) / 2 : null;
  const fast = p[1] && p[2] ? (p[1] + p[2]) / 2 : null;
  console.error(`effect device: fio p50 ${slow?.toFixed(1)} µs with nomerges 0, ${fast?.toFixed(1)} µs with 1: ${slow && fast ? pct(1 - fast / slow) : '?'} faster`);
  return slow && fast ? { fioP50SlowUs: slow, fioP50FastUs: fast, effect: 1 - fast / slow } : null;
}

console.log(
  `decisions bench: ${runs} runs per scenario, rounds of ${ROUND} or 2000 reads; the rule's stated false-keep rate: at most 2 % (no-op kept), a gain kept only when the interval's conservative end is 3 % faster`,
);
if (all.effectSize) console.log(`real effect as fio measures it: p50 ${all.effectSize.fioP50SlowUs.toFixed(1)} → ${all.effectSize.fioP50FastUs.toFixed(1)} µs (${pct(all.effectSize.effect)} faster)`);
console.log('scenario       runs  kept  reverted  too-noisy  errors  decision s (median, p90)  blocks (median, max)');
for (const sc of scenarios) {
  const rs = all[sc] ?? [];
  const ok = rs.filter((r) => !r.error);
  const secs = ok.map((r) => r.decisionMs / 1000);
  const blocks = ok.map((r) => r.blocks);
  console.log(
    `${sc.padEnd(14)} ${String(rs.length).padStart(4)}  ${String(ok.filter((r) => r.decision === 'kept').length).padStart(4)}  ${String(ok.filter((r) => r.decision === 'reverted').length).padStart(8)}  ${String(ok.filter((r) => r.outcome === 'too-noisy').length).padStart(9)}  ${String(rs.length - ok.length).padStart(6)}  ${quant(secs, 0.5).toFixed(1).padStart(10)}, ${quant(secs, 0.9).toFixed(1).padStart(5)}  ${String(quant(blocks, 0.5)).padStart(10)}, ${Math.max(...blocks)}`,
  );
}
if (outFile) writeFileSync(outFile, `${JSON.stringify(all, null, 2)}\n`);

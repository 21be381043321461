// Wall time of `nvprobe detect --json` (Node start-up included), live and on a generated large
// root. Prints figures; not a test. Run with `npm run bench:detect`.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/nvprobe', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/roots/kvm-virtio-1q-haltpoll', import.meta.url));
const RUNS = Number(process.env.RUNS ?? 10);
const DISKS = 64;
const CPUS = 256;

function timeRuns(args) {
  const ms = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error(`nvprobe ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    if (i === 0) JSON.parse(r.stdout);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)], min: ms[0], max: ms.at(-1) };
}

function write(root, guest, content) {
  const host = join(root, guest);
  mkdirSync(dirname(host), { recursive: true });
  writeFileSync(host, `${content}\n`);
}

function link(root, at, to) {
  const host = join(root, at);
  mkdirSync(dirname(host), { recursive: true });
  rmSync(host, { force: true, recursive: true });
  symlinkSync(posix.relative(posix.dirname(at), to), host);
}

/** vda, vdb, ..., vdz, vdaa, ... as the virtio_blk driver names disks. */
function diskName(i) {
  let s = '';
  for (let n = i; n >= 0; n = Math.floor(n / 26) - 1) s = String.fromCharCode(97 + (n % 26)) + s;
  return `vd${s}`;
}

/** The captured tree grown to CPUS vCPUs and DISKS four-queue virtio-blk disks. */
function generateLargeRoot(root) {
  cpSync(FIXTURE, root, { recursive: true, verbatimSymlinks: true });
  const cpu = '/sys/devices/system/cpu';
  const all = `0-${CPUS - 1}`;
  for (const f of ['online', 'possible', 'present']) write(root, `${cpu}/${f}`, all);
  write(root, '/sys/devices/system/node/node0/cpulist', `0-${CPUS / 2 - 1}`);
  write(root, '/sys/devices/system/node/node1/cpulist', `${CPUS / 2}-${CPUS - 1}`);
  for (let c = 0; c < CPUS; c++) {
    if (c > 0) cpSync(join(root, cpu, 'cpu0/cpuidle'), join(root, cpu, `cpu${c}/cpuidle`), { recursive: true });
    write(root, `${cpu}/cpu${c}/power/pm_qos_resume_latency_us`, 0);
  }
  const header = `${' '.repeat(11)}${Array.from({ length: CPUS }, (_, c) => `CPU${c}`.padEnd(11)).join('')}`;
  const lines = [header];
  const src = join(FIXTURE, 'sys/devices/pci0000:00/0000:00:02.0');
  let irq = 100;
  for (let d = 1; d < DISKS; d++) {
    const name = diskName(d);
    const pci = `/sys/devices/pci0000:00/0000:01:${String(d).padStart(2, '0')}.0`;
    const virtio = `${pci}/virtio${100 + d}`;
    const disk = `${virtio}/block/${name}`;
    cpSync(src, join(root, 'sys', pci), { recursive: true, verbatimSymlinks: true });
    rmSync(join(root, 'sys', pci, 'virtio1'), { recursive: true });
    cpSync(join(src, 'virtio1'), join(root, 'sys', virtio), { recursive: true, verbatimSymlinks: true });
    const vdaDir = join(root, 'sys', virtio, 'block/vda');
    cpSync(vdaDir, join(root, 'sys', disk), { recursive: true, verbatimSymlinks: true });
    rmSync(vdaDir, { recursive: true });
    write(root, `${disk}/dev`, `254:${d * 16}`);
    for (let q = 0; q < 4; q++) {
      write(root, `${disk}/mq/${q}/cpu_list`, `${(q * CPUS) / 4}-${((q + 1) * CPUS) / 4 - 1}`);
      lines.push(`${String(irq).padStart(4)}: ${Array(CPUS).fill('         3').join(' ')} PCI-MSIX-0000:01:${String(d).padStart(2, '0')}.0 ${q + 1}-edge      virtio${100 + d}-req.${q}`);
      write(root, `/proc/irq/${irq}/effective_affinity_list`, (q * CPUS) / 4);
      write(root, `/proc/irq/${irq}/smp_affinity_list`, `${(q * CPUS) / 4}-${((q + 1) * CPUS) / 4 - 1}`);
      irq++;
    }
    link(root, `/sys/block/${name}`, disk);
  }
  // Keep the captured lines (vda's interrupt among them), widened to CPUS columns.
  for (const l of readFileSync(join(FIXTURE, 'proc/interrupts'), 'utf8').split('\n').slice(1)) {
    const m = /^(\s*\w+:)((?:\s+\d+){2})(.*)$/.exec(l);
    if (m) lines.push(`${m[1]}${Array(CPUS).fill('         1').join(' ')}${m[3]}`);
  }
  writeFileSync(join(root, 'proc/interrupts'), `${lines.join('\n')}\n`);
}

const fmt = (r) => `median ${r.median.toFixed(0)} ms (min ${r.min.toFixed(0)}, max ${r.max.toFixed(0)}) over ${RUNS} runs`;
console.log(`node -e 0 (start-up alone):                 ${fmt(timeNode())}`);
console.log(`nvprobe detect --json, this machine:         ${fmt(timeRuns(['detect', '--json']))}   target ≤ 300 ms`);
const large = mkdtempSync(join(tmpdir(), 'nvprobe-bench-detect-'));
try {
  generateLargeRoot(large);
  const check = JSON.parse(spawnSync(process.execPath, [BIN, 'detect', '--json', '--root', large], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout);
  const disks = check.disks.filter((d) => d.transport === 'virtio-blk').length;
  console.log(`nvprobe detect --json --root (${disks} virtio disks, ${check.cpus.online.length} CPUs): ${fmt(timeRuns(['detect', '--json', '--root', large]))}   target ≤ 1000 ms`);
} finally {
  rmSync(large, { recursive: true, force: true });
}

function timeNode() {
  const ms = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    spawnSync(process.execPath, ['-e', '0']);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)], min: ms[0], max: ms.at(-1) };
}

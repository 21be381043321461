import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NVPROBE, runCli, runCommand, type CliResult } from '../helpers/cli.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';
import { withLoopDevice } from '../helpers/loop-device.js';
import { queueOfFile } from '../helpers/queue.js';
import { needCommands } from '../helpers/commands.js';
import { asNobody } from '../helpers/unprivileged.js';
import { parseCpuList } from '../../src/detect/cpu-list.js';

let tmp: ReturnType<typeof diskTempDir>;
let file: string;
beforeAll(() => {
  tmp = diskTempDir();
  file = join(tmp.dir, 'target.dat');
  writeOffsetFile(file, 8192); // 32 MiB
});
afterAll(() => tmp.remove());

/** Every bad input: exit code as documented, exactly one `nvprobe:` line (plus an optional hint), nothing on stdout. */
async function expectUserError(args: string[], code: number, pattern: RegExp, run: (args: string[]) => Promise<CliResult> = runCli): Promise<void> {
  const r = await run(args);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(pattern);
  const lines = r.stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^nvprobe: /);
  expect(lines.length).toBeLessThanOrEqual(2);
  if (lines[1]) expect(lines[1]).toMatch(/^hint: /);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(r.code).toBe(code);
}

// The suite's own state dir (test/global-setup.ts), where a probe without target puts its scratch file.
const SCRATCH_DIR = process.env.NVPROBE_STATE_DIR!;
const scratchFiles = () => (existsSync(SCRATCH_DIR) ? readdirSync(SCRATCH_DIR).filter((n) => n.startsWith('.nvprobe-scratch-')) : []);

describe('nvprobe probe', () => {
  it('prints one valid JSON document for a file target', async () => {
    const r = await runCli(['probe', file, '--engine', 'psync2', '--ios', '2000', '--ramp', '200ms', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.kind).toBe('nvprobe.probe');
    expect(doc.target).toMatchObject({ path: file, kind: 'file', scratch: false, spanBytes: 8192 * 4096 });
    expect(doc.engine).toMatchObject({ name: 'psync2', requested: 'psync2', blockSize: 4096, direct: true });
    expect(doc.engine.polled).toEqual({ polled: doc.engine.hipri.effective, reason: doc.engine.hipri.reason });
    expect(doc.engine.hipri.requested).toBe(true);
    expect(typeof doc.engine.hipri.effective).toBe('boolean');
    expect(doc.engine.hipri.reason.length).toBeGreaterThan(10);
    expect(doc.result.samples).toBe(2000);
    expect(doc.result.overhead.perIoUs).toBeGreaterThan(0);
    expect(doc.result.corrected.percentilesUs.p50).toBeLessThan(doc.result.raw.percentilesUs.p50);
    expect(doc.result.histogram.count).toBe(2000);
    // What the reads cost in CPU, measured around exactly the measured reads, on every online vCPU.
    expect(doc.result.cpu.reads).toBe(2000);
    expect(doc.result.cpu.vcpus.map((v: { cpu: number }) => v.cpu)).toEqual(parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8')));
    expect(doc.result.cpu.perReadUs.user + doc.result.cpu.perReadUs.system).toBeGreaterThan(0);
    // The idle window after the reads: waited for only where a POLL state exists.
    const hasPoll = doc.result.cpu.pollVcpus !== null;
    expect(doc.config.idleWindowMs).toBe(hasPoll ? 500 : 0);
    expect(doc.result.idlePollShare === null).toBe(!hasPoll);
  });

  it('says HIPRI is not effective on kernels that ignore it for sync I/O', async () => {
    const [major, minor] = process.versions && spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.split('.').map(Number);
    const r = await runCli(['probe', file, '--engine', 'psync2', '--ios', '200', '--ramp', '0', '--json']);
    const hipri = JSON.parse(r.stdout).engine.hipri;
    if (major! > 5 || (major === 5 && minor! >= 19)) {
      expect(hipri.effective).toBe(false);
      expect(hipri.reason).toMatch(/ignores RWF_HIPRI/);
    }
    const off = JSON.parse((await runCli(['probe', file, '--ios', '200', '--ramp', '0', '--json', '--no-hipri'])).stdout).engine.hipri;
    expect(off).toMatchObject({ requested: false, effective: false });
  });

  it('leads with the figure to quote, where its time goes and what limits it; --verbose for the rest', async () => {
    const r = await runCli(['probe', file, '--ios', '3000', '--ramp', '0']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^nvprobe probe: \S+ \(file on \w+ \(.*\)(, disk \w+)?\): 4 KiB random reads, QD1, O_DIRECT, \w+; 3000 reads in [\d.]+ s$/);
    expect(lines[1]).toMatch(/^ {2}read latency {2}p50 [\d.]+ µs {3}p99 [\d.]+ µs {3}p99\.9 [\d.]+ µs {3}\((native estimate|process clock − nvprobe's per-call cost): the figure to quote\)$/);
    expect(r.stdout).toMatch(/^ {2}where it goes (guest [\d.]+ µs|not split: )/m);
    expect(r.stdout).toMatch(/^ {2}polling {7}(POLLED|not polled): /m);
    // The price, beside the figure: nvprobe's CPU per read, the vCPUs' busy share, steal.
    expect(r.stdout).toMatch(
      /^ {2}CPU {11}nvprobe [\d.]+ µs user \+ [\d.]+ µs system per read( \(system includes tracing's per-read cost\))?; vCPUs [\d.]+ % busy(, [\d.]+ % of it polling; [\d.]+ % polling when idle)?; steal /m,
    );
    // One latency row (the headline's), none of the clocks' workings.
    expect(r.stdout).toMatch(/^latency µs.*\nread latency \((native estimate|process clock − nvprobe's per-call cost)\)\s+[\d.]+.*\n\n--verbose: /m);
    expect(r.stdout).not.toMatch(/raw \(process clock\)|^ {2}clock |tracing cost/m);
    expect(lines.length).toBeLessThan(14);
  });

  it('--verbose: every latency row and a histogram that counts every I/O', async () => {
    const r = await runCli(['probe', file, '--ios', '3000', '--ramp', '0', '--histogram', '--verbose']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^raw \(process clock\)\s+[\d.]+/m);
    // Each vCPU's shares during the reads, and how coarse the ticks are.
    expect(r.stdout).toMatch(/^vCPU during the reads +busy +polling +steal\nvCPU 0 +[\d.]+ % +([\d.]+ %|-) +[\d.]+ %$/m);
    expect(r.stdout).toMatch(/^ {2}busy and steal: \/proc\/stat ticks over [\d.]+ s \(one tick = [\d.]+ % of a vCPU\)/m);
    // The headline row first: the native estimate where tracing ran, else the calibrated series.
    expect(r.stdout).toMatch(/^latency µs.*\nread latency \((native estimate|process clock − nvprobe's per-call cost)\)\s+[\d.]+/m);
    expect(r.stdout).toMatch(/not effective|EFFECTIVE/);
    // The calibrated series' histogram counts every read (the native one only the traced reads).
    const counts = r.stdout
      .split(/process clock − nvprobe's per-call cost histogram.*\n/)[1]!
      .split('\n')
      .map((l) => /^\s*[<>=\d.\s-]+\s{2,}(\d+)\s+[\d.]+\s+[\d.]+\s+[█▏]+$/.exec(l))
      .filter(Boolean)
      .map((m) => Number(m![1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(3000);
  });

  it('measures the root filesystem by default, falling back to a scratch file it removes', async () => {
    const before = scratchFiles();
    const r = await runCli(['probe', '--json', '--duration', '1s', '--ramp', '0', '--size', '64M']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.result.samples).toBeGreaterThan(0);
    if (doc.target.scratch) {
      expect(doc.target.fallbackReason).toMatch(/could not be opened|not on a block device/);
      expect(doc.target.spanBytes).toBe(64 << 20);
      // In the state dir when that is on the root filesystem, else in / itself.
      expect([SCRATCH_DIR, '/']).toContain(dirname(doc.target.path));
    } else {
      expect(doc.target.kind).toBe('block');
    }
    expect(scratchFiles()).toEqual(before);
  });

  it('removes its scratch file when interrupted with Ctrl-C', async () => {
    const before = scratchFiles();
    const child = spawn(NVPROBE, ['probe', '--duration', '60s', '--size', '64M', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Wait for the scratch file to appear (or for a real device to be used).
    const deadline = Date.now() + 20_000;
    while (scratchFiles().length === before.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted/);
    expect(scratchFiles()).toEqual(before);
  });

  it('emits the equivalent fio job, which fio accepts', async (ctx) => {
    const r = await runCli(['probe', file, '--engine', 'psync2', '--emit-fio', '--duration', '3s', '--cpu', '0']);
    expect(r.code).toBe(0);
    for (const line of ['ioengine=pvsync2', 'hipri=1', 'direct=1', 'rw=randread', 'bs=4096', 'iodepth=1', 'runtime=3000ms', 'cpus_allowed=0', `filename=${file}`]) {
      expect(r.stdout.split('\n')).toContain(line);
    }
    expect(r.stdout).toMatch(/^# Run: fio --readonly JOBFILE$/m);
    const job = join(tmp.dir, 'job.fio');
    writeFileSync(job, r.stdout);
    needCommands(ctx, ['fio'], 'to parse the emitted job (the text checks above passed)');
    const fio = spawnSync('fio', ['--readonly', '--parse-only', job], { encoding: 'utf8' });
    expect(fio.status).toBe(0);
  });

  it('pins to --cpu and records it', async () => {
    const r = await runCli(['probe', file, '--ios', '100', '--ramp', '0', '--cpu', '0', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).engine.cpu).toBe(0);
  });
});

describe('nvprobe probe --engine', () => {
  it('io_uring --json: the io_uring engine, its polled verdict with the reason, HIPRI marked unused', async () => {
    const q = queueOfFile(file);
    const r = await runCli(['probe', file, '--engine', 'io_uring', '--ios', '2000', '--ramp', '200ms', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(doc.engine).toMatchObject({ name: 'io_uring', requested: 'io_uring', selection: '--engine io_uring', blockSize: 4096, direct: true });
    expect(doc.engine.hipri).toEqual({ requested: false, effective: false, reason: 'not used by the io_uring engine' });
    expect(doc.engine.fallbackReason).toBeUndefined();
    expect(doc.engine.polled).toEqual(
      q.ioPoll
        ? { polled: true, reason: `IORING_SETUP_IOPOLL on ${q.disk} which has poll queues (queue/io_poll=1)` }
        : { polled: false, reason: `${q.disk} has no poll queues (queue/io_poll=0): interrupt completion` },
    );
    expect(doc.result.samples).toBe(2000);
    // Calibrated through the engine's own noop: an FFI call, well below a device read.
    expect(doc.result.overhead.perIoUs).toBeGreaterThan(0);
    expect(doc.result.overhead.before.ffiUs).toBeLessThan(doc.result.raw.percentilesUs.p50);
    expect(doc.result.corrected.percentilesUs.p50).toBeCloseTo(doc.result.raw.percentilesUs.p50 - doc.result.overhead.perIoUs, 2);
  });

  it('io_uring on a read-only direct-I/O loop device, as text', async () => {
    await withLoopDevice(file, async (dev) => {
      const r = await runCli(['probe', dev, '--engine', 'io_uring', '--ios', '1000', '--ramp', '0', '--verbose']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^ {2}engine {4}io_uring \(IORING_OP_READ, one io_uring_enter per read\); --engine io_uring$/m);
      expect(r.stdout).toMatch(/^ {2}polling {3}not polled: loop\d+ has no poll queues \(queue\/io_poll=0\): interrupt completion$/m);
      expect(r.stdout).toMatch(/^raw \(process clock\)\s+[\d.]+/m);
      // Each vCPU's shares during the reads, and how coarse the ticks are.
      expect(r.stdout).toMatch(/^vCPU during the reads +busy +polling +steal\nvCPU 0 +[\d.]+ % +([\d.]+ %|-) +[\d.]+ %$/m);
      expect(r.stdout).toMatch(/^ {2}busy and steal: \/proc\/stat ticks over [\d.]+ s \(one tick = [\d.]+ % of a vCPU\)/m);
    });
  });

  it('auto (the default) picks by the queue: psync2 without poll queues, io_uring with IOPOLL with them', async () => {
    const q = queueOfFile(file);
    for (const args of [['--engine', 'auto'], []]) {
      const r = await runCli(['probe', file, ...args, '--ios', '300', '--ramp', '0', '--json']);
      expect(r.code).toBe(0);
      const e = JSON.parse(r.stdout).engine;
      expect(e.requested).toBe('auto');
      if (q.ioPoll) {
        expect(e).toMatchObject({ name: 'io_uring', selection: `auto: ${q.disk} has poll queues (queue/io_poll=1)`, polled: { polled: true } });
      } else {
        expect(e).toMatchObject({ name: 'psync2', selection: `auto: ${q.disk} has no poll queues (queue/io_poll=0)` });
        expect(e.hipri.requested).toBe(true);
      }
    }
  });

  it('io_uring on the root filesystem by default (device or scratch file), cleaned up after', async () => {
    const before = scratchFiles();
    const r = await runCli(['probe', '--engine', 'io_uring', '--json', '--ios', '300', '--ramp', '0', '--size', '64M']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.engine.name).toBe('io_uring');
    expect(doc.result.samples).toBe(300);
    expect(scratchFiles()).toEqual(before);
  });

  it('--emit-fio follows the engine: io_uring, hipri=1 only where the queue polls; fio accepts it', async (ctx) => {
    const q = queueOfFile(file);
    const r = await runCli(['probe', file, '--engine', 'io_uring', '--emit-fio']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('ioengine=io_uring');
    expect(lines).toContain(q.ioPoll ? 'hipri=1' : 'hipri=0');
    const auto = (await runCli(['probe', file, '--emit-fio'])).stdout.split('\n');
    expect(auto).toContain(q.ioPoll ? 'ioengine=io_uring' : 'ioengine=pvsync2');
    const job = join(tmp.dir, 'uring.fio');
    writeFileSync(job, r.stdout);
    needCommands(ctx, ['fio'], 'to parse the emitted job (the text checks above passed)');
    const fio = spawnSync('fio', ['--readonly', '--parse-only', job], { encoding: 'utf8' });
    expect(fio.status).toBe(0);
  });
});

describe('nvprobe probe: bad input', () => {
  it('nonexistent path', () => expectUserError(['probe', join(tmp.dir, 'nope')], 2, /no such file or device/));
  it('a directory', () => expectUserError(['probe', tmp.dir], 2, /is a directory/));
  it('a character device', () => expectUserError(['probe', '/dev/null'], 2, /character device/));
  it('a file smaller than one block', async () => {
    const small = join(tmp.dir, 'small.dat');
    writeFileSync(small, Buffer.alloc(1000, 7));
    await expectUserError(['probe', small], 2, /smaller than one block/);
  });
  it('a sparse file (its holes read as zeros without touching the disk); filled, it is measured', async () => {
    const sparse = join(tmp.dir, 'sparse.dat');
    expect(spawnSync('truncate', ['-s', '64M', sparse]).status).toBe(0);
    await expectUserError(['probe', sparse, '--duration', '1s'], 2, /is sparse: 0 MiB of the 64 MiB it would read are allocated/);
    // Only the span read counts: the first 8 MiB written, --size 8m reads nothing else.
    expect(spawnSync('dd', ['if=/dev/urandom', `of=${sparse}`, 'bs=1M', 'count=8', 'conv=notrunc,fsync', 'status=none']).status).toBe(0);
    const r = await runCli(['probe', sparse, '--size', '8m', '--ios', '200', '--ramp', '50ms', '--no-trace', '--json']);
    expect(r.code, r.stderr).toBe(0);
  });
  it('--bs not a power of two', () => expectUserError(['probe', file, '--bs', '3k'], 2, /power of two/));
  it('--bs unparseable', () => expectUserError(['probe', file, '--bs', 'big'], 2, /--bs must be a positive size/));
  it('--bs not a multiple of the logical block size', async () => {
    await withLoopDevice(file, (dev) => expectUserError(['probe', dev, '--bs', '512'], 2, /not a multiple of .* logical block size \(4096\)/), { sectorSize: 4096 });
  });
  it('zero, negative and unparseable durations and counts', async () => {
    await expectUserError(['probe', file, '--duration', '0'], 2, /--duration must be a positive duration/);
    await expectUserError(['probe', file, '--duration', '-3s'], 2, /--duration must be a positive duration/);
    await expectUserError(['probe', file, '--duration', 'soon'], 2, /--duration must be a positive duration/);
    await expectUserError(['probe', file, '--ramp', 'x'], 2, /--ramp must be a positive duration/);
    await expectUserError(['probe', file, '--ios', '0'], 2, /--ios must be a positive whole number/);
    await expectUserError(['probe', file, '--ios', '1.5'], 2, /--ios must be a positive whole number/);
    await expectUserError(['probe', file, '--cpu', '4096'], 2, /--cpu 4096: this machine has CPUs/);
  });
  it('--size larger than the target', () => expectUserError(['probe', file, '--size', '1G'], 2, /larger than/));
  it('an unknown --engine', async () =>
    await expectUserError(['probe', file, '--engine', 'spdk'], 2, /^nvprobe: option '--engine <name>' argument 'spdk' is invalid\. Allowed choices are auto, psync2, io_uring\.$/m));
  it('--no-hipri with --engine io_uring', () => expectUserError(['probe', file, '--engine', 'io_uring', '--no-hipri'], 2, /--no-hipri is a psync2 setting/));
  it('an unknown option', () => expectUserError(['probe', file, '--frobnicate'], 2, /unknown option/));

  it('a filesystem without O_DIRECT, named', async (ctx) => {
    const mnt = join(tmp.dir, 'ramfs');
    mkdirSync(mnt);
    const mount = spawnSync('mount', ['-t', 'ramfs', 'none', mnt], { encoding: 'utf8' });
    if (mount.status !== 0) ctx.skip(`cannot mount a ramfs here, nothing to test against: ${(mount.stderr || String(mount.error)).trim()}`);
    try {
      const f = join(mnt, 'f');
      writeFileSync(f, Buffer.alloc(1 << 20, 1));
      await expectUserError(['probe', f], 2, /ramfs filesystem does not support O_DIRECT/);
    } finally {
      spawnSync('umount', [mnt]);
    }
  });

  it('permission denied when not root: says so, exit 3', async (ctx) => {
    const nobody = asNobody(ctx);
    const secret = join(tmp.dir, 'secret.dat');
    writeOffsetFile(secret, 16);
    chmodSync(secret, 0o600);
    chmodSync(tmp.dir, 0o755);
    await expectUserError(['probe', secret], 3, /permission denied .* not running as root/, nobody.run);
  });

  it('not root where root is needed (the root disk), exit 3', async (ctx) => {
    await expectUserError(['probe'], 3, /needs root/, asNobody(ctx).run);
  });

  it('EPERM as root names a device policy as the cause', async (ctx) => {
    // Where this machine's own root disk is refused by its device cgroup; elsewhere skip.
    if (process.getuid?.() !== 0) ctx.skip('not root: EACCES, not a device policy, would refuse the open');
    const probeOpen = spawnSync('dd', ['if=/dev/vda', 'of=/dev/null', 'bs=4096', 'count=1'], { encoding: 'utf8' });
    if (!/Operation not permitted/.test(probeOpen.stderr ?? ''))
      ctx.skip(`no device policy refuses /dev/vda here (dd: ${probeOpen.status === 0 ? 'read it' : (probeOpen.stderr || String(probeOpen.error)).trim().split('\n')[0]})`);
    await expectUserError(['probe', '/dev/vda'], 1, /EPERM even as root: a device policy/);
  });

  it('an unsupported architecture', async () => {
    const script = `Object.defineProperty(process, 'arch', { value: 's390x' });
      const { main } = await import(${JSON.stringify(new URL('../../dist/cli/main.js', import.meta.url).href)});
      process.exitCode = await main(['node', 'nvprobe', 'probe', ${JSON.stringify(file)}]);`;
    const r = await runCommand(process.execPath, ['--input-type=module', '-e', script]);
    expect(r.stderr).toMatch(/^nvprobe: unsupported architecture 's390x'/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(1);
  });
});

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchGuestPackages, type GuestPackages } from './debian-packages.js';
import { createDiskImage, supportsDirectIo } from './disk-images.js';
import { buildInitramfs, type Initramfs } from './initramfs.js';
import { trackProcess, trackTempDir } from './live-processes.js';
import { accelFromEnv, qemuArgs, type Accel, type LabDisk } from './qemu-command.js';
import { ConsoleDecoder, encodeCommand, type CommandOutput, type ConsoleEvent } from './serial-protocol.js';
import { shellQuote } from './shell-quote.js';

/** The disks every lab guest has, by their guest block device names. */
export const LAB_DISKS = { virtio: 'vda', nvme: 'nvme0n1' } as const;

export interface BootOptions {
  /** Poll queues for virtio_blk (insmod parameter) and nvme (built in: kernel cmdline). Default 0. */
  pollQueues?: number;
  /** num-queues of the virtio-blk device. Default 2, one per vCPU. */
  virtioQueues?: number;
  /** Offer the packed virtqueue layout on the virtio-blk device (qemu packed=on). Default off, as in qemu. */
  virtioPacked?: boolean;
  /** Extra kernel cmdline words, e.g. `virtio_blk.queue_depth=64` */
  cmdline?: string[];
  /** Default 180 s: under TCG a boot with node takes a few seconds, a stuck one forever. */
  bootTimeoutMs?: number;
  /** Default per-command timeout, 120 s. */
  commandTimeoutMs?: number;
  diskSizeMiB?: number;
  /** Leading MiB of each disk filled with blockContent(); the rest is a hole. Default 16. */
  diskDataMiB?: number;
  memoryMiB?: number;
  cpus?: number;
  accel?: Accel;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunOptions {
  timeoutMs?: number;
}

let bootFiles: Promise<{ pkgs: GuestPackages; initramfs: Initramfs }> | undefined;

/**
 * The kernel and userland every lab guest boots: fetched and built once per run (awaited, never
 * blocking the test worker: on a fresh machine the download alone takes tens of seconds).
 */
export function labBootFiles(): Promise<{ pkgs: GuestPackages; initramfs: Initramfs }> {
  bootFiles ??= (async () => {
    const pkgs = await fetchGuestPackages();
    const dir = mkdtempSync(join(tmpdir(), 'nvprobe-initramfs-out-'));
    trackTempDir(dir);
    return { pkgs, initramfs: await buildInitramfs(pkgs, join(dir, 'initramfs.cpio.gz')) };
  })();
  return bootFiles;
}

/** Boot a guest and wait until it takes commands. The caller must `shutdown()` it (in afterAll/finally). */
export async function bootGuest(opts: BootOptions = {}): Promise<Guest> {
  const workDir = mkdtempSync(join(tmpdir(), 'nvprobe-vm-'));
  const removeWorkDir = trackTempDir(workDir);
  try {
    const disks = createLabDisks(workDir, opts);
    return await launchGuest(opts, labCmdline(opts), disks, removeWorkDir);
  } catch (err) {
    removeWorkDir();
    throw err;
  }
}

/** The kernel command line of a lab guest: console, the poll queues, what /init reads, then `opts.cmdline`. */
export function labCmdline(opts: Pick<BootOptions, 'pollQueues' | 'cmdline'> = {}): string[] {
  const poll = opts.pollQueues ?? 0;
  return [
    'console=ttyS0',
    'panic=-1',
    'quiet',
    `nvme.poll_queues=${poll}`,
    `virtio_blk.poll_queues=${poll}`,
    `nvp.wait=${LAB_DISKS.virtio},${LAB_DISKS.nvme}`,
    // A guest whose host vanished (runner killed hard) powers itself off after 5 idle minutes.
    'nvp.idle=300',
    ...(opts.cmdline ?? []),
  ];
}

/**
 * @internal Start qemu with these disks and this command line and wait until /init takes commands.
 * `removeWorkDir` runs when the guest is shut down (a no-op when the disks outlive the guest).
 */
export async function launchGuest(opts: BootOptions, cmdline: string[], disks: LabDisk[], removeWorkDir: () => void): Promise<Guest> {
  const { pkgs, initramfs } = await labBootFiles();
  const args = qemuArgs({
    kernel: pkgs.vmlinuz,
    initrd: initramfs.file,
    cmdline,
    disks,
    accel: opts.accel ?? accelFromEnv(),
    memoryMiB: opts.memoryMiB ?? 1024,
    cpus: opts.cpus ?? 2,
  });
  const guest = new Guest(pkgs, args, opts.commandTimeoutMs ?? 120_000, removeWorkDir);
  await guest.waitReady(opts.bootTimeoutMs ?? 180_000);
  return guest;
}

/** vda and nvme0n1 in `dir` (d1.img, d2.img). */
export function createLabDisks(dir: string, opts: BootOptions): LabDisk[] {
  const size = opts.diskSizeMiB ?? 256;
  const data = opts.diskDataMiB ?? 16;
  const d1 = join(dir, 'd1.img');
  const d2 = join(dir, 'd2.img');
  createDiskImage(d1, LAB_DISKS.virtio, size, data);
  createDiskImage(d2, LAB_DISKS.nvme, size, data);
  const directIo = supportsDirectIo(d1);
  return [
    { id: 'd1', file: d1, device: 'virtio-blk', directIo, queues: opts.virtioQueues ?? 2, packed: opts.virtioPacked ?? false },
    { id: 'd2', file: d2, device: 'nvme', directIo, serial: 'nvp1' },
  ];
}

/** A running lab guest: one qemu process whose serial console carries the command protocol. */
export class Guest {
  readonly kernelRelease: string;
  readonly kernelPackage: string;
  readonly kernelVersion: string;
  private readonly qemu: ChildProcess;
  private readonly decoder = new ConsoleDecoder();
  private readonly listeners = new Set<(e: ConsoleEvent | { kind: 'exit' }) => void>();
  private readonly initErrors: string[] = [];
  private qemuStderr = '';
  private exited = false;
  private restartSeen = false;
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();
  private shutdownDone: Promise<void> | undefined;

  constructor(
    pkgs: GuestPackages,
    readonly qemuArgs: string[],
    private readonly commandTimeoutMs: number,
    private readonly removeWorkDir: () => void,
  ) {
    this.kernelRelease = pkgs.kernelRelease;
    this.kernelPackage = pkgs.kernelPackage;
    this.kernelVersion = pkgs.kernelVersion;
    this.qemu = spawn('qemu-system-x86_64', qemuArgs, { stdio: ['pipe', 'pipe', 'pipe'] });
    trackProcess(this.qemu);
    this.qemu.stdout!.setEncoding('latin1');
    this.qemu.stdout!.on('data', (chunk: string) => {
      for (const e of this.decoder.push(chunk)) {
        if (e.kind === 'init-error') this.initErrors.push(e.message);
        if (e.kind === 'restart') this.restartSeen = true;
        for (const l of [...this.listeners]) l(e);
      }
    });
    this.qemu.stderr!.on('data', (d: Buffer) => (this.qemuStderr = (this.qemuStderr + d.toString()).slice(-8000)));
    this.qemu.stdin!.on('error', () => {}); // EPIPE when qemu died: reported through 'exit'
    const onGone = () => {
      if (this.exited) return;
      this.exited = true;
      for (const l of [...this.listeners]) l({ kind: 'exit' });
    };
    this.qemu.on('exit', onGone);
    this.qemu.on('error', (err) => {
      this.qemuStderr += `\nspawn failed: ${err.message}`;
      onGone();
    });
  }

  /** qemu is up and the guest has not been shut down or aborted (after a timeout, say). */
  get running(): boolean {
    return !this.exited && this.shutdownDone === undefined;
  }

  /**
   * The guest rebooted: the kernel said "reboot: Restarting system" and qemu (-no-reboot) then
   * exited cleanly. A panic (panic=-1 restarts without that line), a power-off or a kill is not one.
   */
  get rebooted(): boolean {
    return this.exited && this.restartSeen && this.qemu.exitCode === 0;
  }

  /** The console's last lines and qemu's stderr: what to look at when something went wrong. */
  consoleLog(lastLines = 80): string {
    const stderr = this.qemuStderr.trim();
    return `${this.decoder.log(lastLines)}${stderr ? `\n--- qemu stderr ---\n${stderr}` : ''}`;
  }

  /** @internal Called once by bootGuest. */
  async waitReady(timeoutMs: number): Promise<void> {
    try {
      await this.waitFor((e) => (e.kind === 'ready' ? true : undefined), timeoutMs, 'boot');
    } catch (err) {
      await this.abort();
      throw err;
    }
    if (this.initErrors.length > 0) {
      await this.abort();
      throw new Error(`guest /init failed: ${this.initErrors.join('; ')}\n${this.consoleLog()}`);
    }
  }

  /** Run a shell script (busybox sh) in the guest, cwd /opt/nvprobe. Output is text (UTF-8). */
  async run(script: string, opts: RunOptions = {}): Promise<RunResult> {
    const r = await this.runBytes(script, opts);
    return { stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), exitCode: r.exitCode };
  }

  /** As run(), with stdout and stderr as the exact bytes the script wrote. */
  runBytes(script: string, opts: RunOptions = {}): Promise<CommandOutput> {
    const job = this.queue.then(() => this.exchange(script, opts.timeoutMs ?? this.commandTimeoutMs));
    this.queue = job.catch(() => {});
    return job;
  }

  /**
   * Run a script that reboots the guest (`reboot`, or a command that runs it): resolves once the
   * guest has rebooted (qemu exited after the kernel's restart message), with the script's result
   * when /init got to send it first. Rejects, killing the guest, when qemu ends otherwise, when
   * `timeoutMs` passes, or when the script finishes and no reboot follows within `graceMs` (10 s).
   */
  runUntilReboot(script: string, opts: RunOptions & { graceMs?: number } = {}): Promise<{ output: CommandOutput | null }> {
    const job = this.queue.then(() => this.exchangeUntilReboot(script, opts.timeoutMs ?? this.commandTimeoutMs, opts.graceMs ?? 10_000));
    this.queue = job.catch(() => {});
    return job;
  }

  /**
   * Bring a guest directory to the host (tar.gz over the console) and unpack it into `localDir`
   * (a new temp dir when omitted, which the caller then owns). Returns the local dir.
   */
  async fetchDir(guestPath: string, localDir?: string): Promise<string> {
    const r = await this.runBytes(`tar -czf - -C ${shellQuote(guestPath)} .`);
    if (r.exitCode !== 0) throw new Error(`guest tar of ${guestPath} failed (${r.exitCode}): ${r.stderr.toString().trim()}`);
    const dest = localDir ?? mkdtempSync(join(tmpdir(), 'nvprobe-guest-dir-'));
    const x = spawnSync('tar', ['-xzf', '-', '-C', dest], { input: r.stdout, encoding: 'utf8' });
    if (x.status !== 0) throw new Error(`extracting ${guestPath} from the guest into ${dest} failed: ${x.stderr || x.error?.message}`);
    return dest;
  }

  /** Power the guest off (killing qemu if it does not stop within 20 s) and remove its disks. Idempotent. */
  shutdown(): Promise<void> {
    return this.stop(true);
  }

  /** Kill qemu at once: after a timeout or a garbled frame the guest's state is unknown. */
  abort(): Promise<void> {
    return this.stop(false);
  }

  private stop(graceful: boolean): Promise<void> {
    this.shutdownDone ??= (async () => {
      if (graceful && !this.exited) {
        this.qemu.stdin!.write('Q\n');
        await this.waitExit(20_000);
      }
      if (!this.exited) {
        this.qemu.kill('SIGKILL');
        await this.waitExit(5_000);
      }
      this.removeWorkDir();
    })();
    return this.shutdownDone;
  }

  /** Send every line of an encoded command but the last, each once the guest acknowledged the one before. */
  private async upload(id: string, lines: string[], timeoutMs: number): Promise<void> {
    for (const line of lines.slice(0, -1)) {
      const acked = this.waitFor((e) => (e.kind === 'ack' && e.id === id ? true : undefined), timeoutMs, `upload of command ${id}`);
      this.qemu.stdin!.write(`${line}\n`);
      await acked;
    }
  }

  private async exchange(script: string, timeoutMs: number): Promise<CommandOutput> {
    if (this.exited) throw new Error(`the guest is not running\n${this.consoleLog()}`);
    const id = `c${this.nextId++}`;
    const lines = encodeCommand(id, script);
    try {
      await this.upload(id, lines, timeoutMs);
      const result = this.waitFor((e) => (e.kind === 'result' && e.id === id ? e.output : undefined), timeoutMs, `command ${id}`);
      this.qemu.stdin!.write(`${lines[lines.length - 1]}\n`);
      return await result;
    } catch (err) {
      // The guest's state is unknown now (a command still running, a frame half read): end it.
      await this.abort();
      throw err;
    }
  }

  private async exchangeUntilReboot(script: string, timeoutMs: number, graceMs: number): Promise<{ output: CommandOutput | null }> {
    if (this.exited) throw new Error(`the guest is not running\n${this.consoleLog()}`);
    const id = `c${this.nextId++}`;
    const lines = encodeCommand(id, script);
    try {
      await this.upload(id, lines, timeoutMs);
    } catch (err) {
      await this.abort();
      throw err;
    }
    let output: CommandOutput | null = null;
    const ended = new Promise<void>((resolve, reject) => {
      let grace: NodeJS.Timeout | undefined;
      const done = (fn: () => void) => {
        clearTimeout(timer);
        clearTimeout(grace);
        this.listeners.delete(listener);
        fn();
      };
      const fail = (why: string) => done(() => reject(new Error(`command ${id} was to reboot the guest, but ${why}\n${this.consoleLog()}`)));
      const listener = (e: ConsoleEvent | { kind: 'exit' }) => {
        if (e.kind === 'exit') {
          if (this.restartSeen && this.qemu.exitCode === 0) return done(resolve);
          return fail(`qemu exited (${this.qemu.exitCode ?? this.qemu.signalCode}) without the kernel restarting`);
        }
        if (e.kind === 'protocol-error') return fail(e.message);
        if (e.kind === 'result' && e.id === id) {
          output = e.output;
          const said = `rc=${e.output.exitCode}, stdout: ${e.output.stdout.toString().trim()}, stderr: ${e.output.stderr.toString().trim()}`;
          grace = setTimeout(() => fail(`it finished (${said}) and no reboot followed within ${graceMs} ms`), graceMs);
        }
      };
      const timer = setTimeout(() => fail(`no reboot within ${timeoutMs} ms`), timeoutMs);
      this.listeners.add(listener);
      this.qemu.stdin!.write(`${lines[lines.length - 1]}\n`);
    });
    try {
      await ended;
    } catch (err) {
      await this.abort();
      throw err;
    }
    await this.stop(false); // qemu is gone: this only runs removeWorkDir
    return { output };
  }

  /** Resolve with the first event `pick` maps to a value; reject on timeout, qemu exit or protocol error. */
  private waitFor<T>(pick: (e: ConsoleEvent) => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = (fn: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        fn();
      };
      const listener = (e: ConsoleEvent | { kind: 'exit' }) => {
        if (e.kind === 'exit') return done(() => reject(new Error(`qemu exited during ${what} (${this.qemu.exitCode ?? this.qemu.signalCode})\n${this.consoleLog()}`)));
        if (e.kind === 'protocol-error') return done(() => reject(new Error(`${what}: ${e.message}\n${this.consoleLog()}`)));
        const value = pick(e);
        if (value !== undefined) done(() => resolve(value));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`${what} timed out after ${timeoutMs} ms\n${this.consoleLog()}`))), timeoutMs);
      if (this.exited) return listener({ kind: 'exit' });
      this.listeners.add(listener);
    });
  }

  private waitExit(timeoutMs: number): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.qemu.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

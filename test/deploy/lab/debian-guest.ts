import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliResult, runCommand } from '../../helpers/cli.js';
import { trackProcess, trackTempDir } from '../../vm/lab/live-processes.js';
import { runTool } from '../../vm/lab/run-tool.js';
import { type DebianImage, debianImage } from './debian-image.js';

export interface DebianGuestOptions {
  cpus?: number;
  memoryMiB?: number;
  /** A NoCloud seed (ISO 9660, label cidata) attached as a CD-ROM. */
  seedIso?: string;
  /** Guest 10.0.2.100:80 reaches this host 127.0.0.1 port (qemu guestfwd): the only way out of the guest. */
  httpPort?: number;
  /** Until sshd answers after a (re)boot. Default 240 s: TCG boots in 35-60 s, a busy host doubles it. */
  bootTimeoutMs?: number;
}

/**
 * A Debian 13 guest from the cached image (debian-image.ts): its own copy-on-write overlay of the
 * image as vda (virtio-blk, 2 queues), a 1 GiB emulated NVMe disk, user-mode networking with
 * nothing reachable but ssh forwarded from a 127.0.0.1 port. SeaBIOS, GRUB and systemd boot it as
 * any BIOS VM; a reboot is the guest's own (qemu resets in place), so GRUB reads what the guest
 * wrote to its configuration. Console output goes to `consoleLog`.
 */
export class DebianGuest {
  private qemu: ChildProcess | undefined;
  private constructor(
    readonly name: string,
    readonly image: DebianImage,
    readonly workDir: string,
    readonly sshPort: number,
    readonly consoleLog: string,
    private readonly qemuArgs: string[],
    private readonly bootTimeoutMs: number,
    private readonly removeWorkDir: () => void,
  ) {}

  static async boot(name: string, opts: DebianGuestOptions = {}): Promise<DebianGuest> {
    const image = await debianImage();
    const workDir = mkdtempSync(join(tmpdir(), `nvprobe-deploy-${name}-`));
    const removeWorkDir = trackTempDir(workDir);
    const overlay = join(workDir, 'vda.qcow2');
    const nvme = join(workDir, 'nvme.raw');
    await runTool('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', image.disk, overlay]);
    await runTool('truncate', ['-s', '1G', nvme]);
    const sshPort = await freePort();
    const fwd = opts.httpPort ? `,guestfwd=tcp:10.0.2.100:80-tcp:127.0.0.1:${opts.httpPort}` : '';
    const args = [
      // thread=single: one host thread runs both vCPUs in turn. With a thread per vCPU (QEMU 7.2's
      // default), a vCPU can run a stale translation of kernel text the other vCPU is patching
      // (static keys flip whenever tracing starts or stops): the guest dies of an int3 oops that
      // oops=panic turns into a reboot, mid-tune, mid-boot or mid-verify.
      ...['-accel', 'tcg,thread=single', '-cpu', 'max', '-smp', String(opts.cpus ?? 2), '-m', String(opts.memoryMiB ?? 1536)],
      ...['-nodefaults', '-nographic', '-monitor', 'none', '-serial', `file:${join(workDir, 'console.log')}`],
      ...['-drive', `file=${overlay},if=none,id=vda,format=qcow2`, '-device', 'virtio-blk-pci,drive=vda,num-queues=2'],
      ...['-drive', `file=${nvme},if=none,id=nv,format=raw`, '-device', 'nvme,drive=nv,serial=nvp1'],
      // restrict=on: the guest reaches nothing outside (no DNS, no mirror), only what is forwarded.
      ...['-netdev', `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${sshPort}-:22${fwd}`, '-device', 'virtio-net-pci,netdev=n0,romfile='],
      ...(opts.seedIso ? ['-drive', `file=${opts.seedIso},media=cdrom,readonly=on`] : []),
    ];
    const guest = new DebianGuest(name, image, workDir, sshPort, join(workDir, 'console.log'), args, opts.bootTimeoutMs ?? 240_000, removeWorkDir);
    guest.start();
    await guest.waitForSsh();
    return guest;
  }

  private start(): void {
    this.qemu = spawn('qemu-system-x86_64', this.qemuArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
    trackProcess(this.qemu);
  }

  get running(): boolean {
    return !!this.qemu && this.qemu.exitCode === null && this.qemu.signalCode === null;
  }

  /** ssh options: the image's key, no host key bookkeeping (each guest's keys are new). */
  sshOptions(): string[] {
    return ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=5', '-i', this.image.sshKey];
  }

  /** Run a shell command as root in the guest. */
  ssh(command: string, opts: { timeoutMs?: number; input?: string } = {}): Promise<CliResult> {
    return runCommand('ssh', [...this.sshOptions(), '-p', String(this.sshPort), 'root@127.0.0.1', command], { timeout: opts.timeoutMs ?? 300_000, input: opts.input });
  }

  /** Like ssh(), but a non-zero exit is an error carrying its output. */
  async run(command: string, opts: { timeoutMs?: number; input?: string } = {}): Promise<string> {
    const r = await this.ssh(command, opts);
    if (r.code !== 0) throw new Error(`${this.name}: \`${command}\` exited with ${r.code ?? r.signal}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  async copyTo(local: string, remote: string): Promise<void> {
    await runTool('scp', [...this.sshOptions(), '-P', String(this.sshPort), local, `root@127.0.0.1:${remote}`]);
  }

  async bootId(): Promise<string> {
    return (await this.run('cat /proc/sys/kernel/random/boot_id')).trim();
  }

  /** Wait until sshd answers (and, with `notBoot`, in another boot than that one). */
  async waitForSsh(notBoot?: string, timeoutMs = this.bootTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.name}: qemu exited while waiting for ssh\n${this.consoleTail()}`);
      const r = await this.ssh('cat /proc/sys/kernel/random/boot_id', { timeoutMs: 15_000 });
      if (r.code === 0 && r.stdout.trim() !== notBoot) return;
      if (Date.now() > deadline) throw new Error(`${this.name}: no ssh ${notBoot ? 'in a new boot ' : ''}within ${timeoutMs / 1000} s\n${this.consoleTail()}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  /** Run `command` (which reboots the guest, now or soon) and wait for the next boot's sshd. */
  async rebootWith(command = 'systemctl reboot'): Promise<void> {
    const before = await this.bootId();
    await this.ssh(command, { timeoutMs: 60_000 }); // the connection may drop as the guest goes down
    await this.waitForSsh(before);
  }

  /** Wait until `systemctl is-system-running` settles (boot finished, units ran). */
  async waitBootFinished(timeoutMs = 600_000): Promise<string> {
    const r = await this.ssh(`timeout ${Math.round(timeoutMs / 1000)} systemctl is-system-running --wait`, { timeoutMs: timeoutMs + 30_000 });
    return r.stdout.trim();
  }

  consoleTail(lines = 60): string {
    try {
      return readFileSync(this.consoleLog, 'latin1').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no console log)';
    }
  }

  /** The kernel panics and oopses this guest's console has seen (every boot): a lab fault, never nvprobe's verdict. */
  kernelFaults(): string[] {
    try {
      return readFileSync(this.consoleLog, 'latin1')
        .split('\n')
        .filter((l) => /\] (Oops: |Kernel panic - |BUG: )/.test(l));
    } catch {
      return [];
    }
  }

  async shutdown(): Promise<void> {
    const faults = this.kernelFaults();
    if (faults.length > 0) console.warn(`${this.name}: the guest kernel faulted (see its console):\n${faults.join('\n')}`);
    if (this.running) {
      const gone = new Promise((r) => this.qemu!.once('exit', r));
      this.qemu!.kill('SIGKILL');
      await gone;
    }
    this.removeWorkDir();
  }
}

/** A 127.0.0.1 port nobody listens on now (the kernel's pick; qemu binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Write `content` to a new file, all of it (a short write is an error). */
export function writeNewFile(file: string, content: string | Buffer): void {
  const fd = openSync(file, 'wx', 0o600);
  try {
    const buf = typeof content === 'string' ? Buffer.from(content) : content;
    if (writeSync(fd, buf) !== buf.length) throw new Error(`short write to ${file}`);
  } finally {
    closeSync(fd);
  }
}

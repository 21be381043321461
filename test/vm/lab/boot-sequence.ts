import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOT_DISK_SERIAL, type BootConfig, type BootLayout, checkBootDisk, createBootDisk, readBootConfig, readBootDiskFile } from './boot-disk.js';
import { type BootOptions, type Guest, createLabDisks, labBootFiles, labCmdline, launchGuest } from './guest.js';
import { trackTempDir } from './live-processes.js';
import type { LabDisk } from './qemu-command.js';

export interface BootSequenceOptions extends Omit<BootOptions, 'cmdline' | 'pollQueues'> {
  /** Which boot configuration the boot disk holds (what nvprobe's persist code will find and edit). */
  layout: BootLayout;
  /**
   * The first boot's kernel command line, written into that configuration. Default: the lab's
   * words without any poll_queues (labCmdline() less its poll_queues words).
   */
  cmdline?: string[];
  /** At most this many boots, the first included: a guest that reboots once more is stopped with an error. */
  maxBoots: number;
}

/** One boot of a sequence. */
export interface BootRecord {
  /** 1 for the first boot. */
  index: number;
  /** What the boot loader read from the boot disk and booted with (the guest's /proc/cmdline). */
  config: BootConfig;
  /** From starting qemu until /init took commands. */
  bootMs: number;
  /** How the boot ended: the guest rebooted, the harness cut the power, or it was shut down. Unset while it runs. */
  end?: 'reboot' | 'power-cut' | 'shutdown';
}

/**
 * A guest whose disks outlive its boots, with the harness as its boot loader: every boot (the
 * first too) takes its kernel command line from the boot configuration on the guest's boot disk
 * (boot-disk.ts), read on the host between boots. vda and nvme0n1 are as in bootGuest(); the boot
 * disk is a third virtio disk (vdb, one queue, serial nvp-boot) holding /etc, /boot and
 * /var/lib/nvprobe. Call shutdown() in afterAll/finally.
 */
export class BootSequence {
  readonly boots: BootRecord[] = [];
  private current: Guest | undefined;
  private ended = false;

  private constructor(
    private readonly opts: BootSequenceOptions,
    /** The boot disk image on the host (ext4); read it with readBootDiskFile() between boots. */
    readonly bootDisk: string,
    private readonly disks: LabDisk[],
    private readonly kernelRelease: string,
    private readonly removeWorkDir: () => void,
  ) {}

  /** Make the disks, write the first command line into the boot configuration, and boot once. */
  static async start(opts: BootSequenceOptions): Promise<BootSequence> {
    if (!Number.isInteger(opts.maxBoots) || opts.maxBoots < 1) throw new Error(`maxBoots must be a positive integer, not ${opts.maxBoots}`);
    const { pkgs } = await labBootFiles();
    const workDir = mkdtempSync(join(tmpdir(), 'nvprobe-vm-seq-'));
    const removeWorkDir = trackTempDir(workDir);
    try {
      const bootDisk = join(workDir, 'boot.img');
      const cmdline = opts.cmdline ?? labCmdline().filter((w) => !/^[\w-]+\.poll_queues=/.test(w));
      await createBootDisk(bootDisk, opts.layout, cmdline.join(' '), pkgs.kernelRelease);
      const disks: LabDisk[] = [...createLabDisks(workDir, opts), { id: 'boot', file: bootDisk, device: 'virtio-blk', directIo: false, queues: 1, serial: BOOT_DISK_SERIAL }];
      const seq = new BootSequence(opts, bootDisk, disks, pkgs.kernelRelease, removeWorkDir);
      await seq.bootNext();
      return seq;
    } catch (err) {
      removeWorkDir();
      throw err;
    }
  }

  /** The running boot's guest. */
  get guest(): Guest {
    if (this.ended || this.current === undefined || !this.current.running) throw new Error(`no guest is running (boots so far: ${this.describe()})`);
    return this.current;
  }

  /**
   * Run `script` (default `reboot`) in the guest, expecting it to reboot the guest; then boot the
   * next boot from the boot disk. Returns the new boot's guest. Throws when the script does not
   * reboot the guest (guest.runUntilReboot) or when the sequence has had its maxBoots.
   * `between` runs after the guest stopped and before the next boot: readFile()/bootConfig() work there.
   */
  async reboot(script = 'reboot', runOpts: { timeoutMs?: number; graceMs?: number; between?: () => void } = {}): Promise<Guest> {
    const guest = this.guest;
    try {
      await guest.runUntilReboot(script, runOpts);
    } catch (err) {
      this.ended = true;
      throw err;
    }
    this.boots[this.boots.length - 1]!.end = 'reboot';
    runOpts.between?.();
    return this.bootNext();
  }

  /** Kill qemu (SIGKILL: nothing flushed, as a power cut), then boot the next boot from the boot disk. */
  async powerCut(): Promise<Guest> {
    const guest = this.guest;
    await guest.abort();
    this.boots[this.boots.length - 1]!.end = 'power-cut';
    return this.bootNext();
  }

  /** What the boot loader would boot now. Only between boots: the image of a running guest is not consistent. */
  bootConfig(): Promise<BootConfig> {
    this.assertStopped();
    return readBootConfig(this.bootDisk, this.kernelRelease);
  }

  /** A file on the boot disk (a guest path: /etc/kernel/cmdline), or null. Only between boots, as bootConfig(). */
  readFile(guestPath: string): Buffer | null {
    this.assertStopped();
    return readBootDiskFile(this.bootDisk, guestPath);
  }

  /** Power the guest off and remove every disk. Idempotent. */
  async shutdown(): Promise<void> {
    this.ended = true;
    const g = this.current;
    if (g?.running) {
      await g.shutdown();
      const last = this.boots[this.boots.length - 1];
      if (last && !last.end) last.end = 'shutdown';
    } else await g?.abort();
    this.removeWorkDir();
  }

  /** "1 (kernel-install: console=ttyS0 ...) reboot, 2 (...)" for error messages. */
  describe(): string {
    return this.boots.map((b) => `${b.index} [${b.config.source}: ${b.config.cmdline}]${b.end ? ` ${b.end}` : ''}`).join(', ') || 'none';
  }

  private assertStopped(): void {
    if (this.current?.running) throw new Error('the boot disk is mounted by the running guest: read it between boots (or after shutdown)');
  }

  /** The boot loader: read the command line from the boot disk, check the disk, boot. Bounded by maxBoots. */
  private async bootNext(): Promise<Guest> {
    if (this.boots.length >= this.opts.maxBoots) {
      this.ended = true;
      throw new Error(`the guest asked for boot ${this.boots.length + 1}, but this boot sequence allows ${this.opts.maxBoots}: stopped (boots: ${this.describe()})`);
    }
    const config = await readBootConfig(this.bootDisk, this.kernelRelease);
    checkBootDisk(this.bootDisk);
    const record: BootRecord = { index: this.boots.length + 1, config, bootMs: 0 };
    this.boots.push(record);
    const started = Date.now();
    try {
      this.current = await launchGuest(this.opts, config.cmdline.split(' '), this.disks, () => {});
    } catch (err) {
      this.ended = true;
      throw new Error(`boot ${record.index} of the sequence failed (${config.source}: ${config.cmdline}): ${err instanceof Error ? err.message : String(err)}`);
    }
    record.bootMs = Date.now() - started;
    return this.current;
  }
}

import { beforeAll, describe, expect, test } from 'vitest';
import type { ProbeReport } from '../../src/contracts/probe-document.js';
import { LAB_DISKS, type Guest } from './lab/guest.js';
import { queueInterrupts } from './lab/queue-interrupts.js';
import { sharedGuest } from './lab/shared-guests.js';

const IOS = 300;

/** Run in the guest, insist on success, give trimmed stdout. */
export async function sh(guest: Guest, script: string): Promise<string> {
  const r = await guest.run(script);
  expect(r.exitCode, `${script}\nstderr: ${r.stderr}`).toBe(0);
  return r.stdout.trim();
}

// The guest with poll queues: both disks have io_poll 1, yet a synchronous preadv2 with
// RWF_HIPRI completes by interrupt on 6.1 (the kernel stopped polling for it in 5.19).
describe('nvprobe probe in the lab guest with poll queues', () => {
  let guest: Guest;
  beforeAll(async () => {
    guest = await sharedGuest(1);
  });

  test.each([LAB_DISKS.virtio, LAB_DISKS.nvme])('/dev/%s: 300 samples, HIPRI not effective, one interrupt per I/O', async (disk) => {
    expect(await sh(guest, `cat /sys/block/${disk}/queue/io_poll`)).toBe('1');
    const before = await queueInterrupts(guest, disk);
    const r = await guest.run(`node bin/nvprobe probe /dev/${disk} --engine psync2 --ios ${IOS} --ramp 0 --json`);
    const after = await queueInterrupts(guest, disk);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toBe('');

    const report = JSON.parse(r.stdout) as ProbeReport;
    expect(report).toMatchObject({ schemaVersion: 1, kind: 'nvprobe.probe', kernel: { release: guest.kernelRelease } });
    expect(report.target).toMatchObject({ path: `/dev/${disk}`, kind: 'block', disk, scratch: false, sizeBytes: 256 * 1024 ** 2 });
    expect(report.engine).toMatchObject({ name: 'psync2', direct: true, hipri: { requested: true, effective: false } });
    expect(report.engine.hipri.reason).toMatch(/since 5\.19/);
    expect(report.result.samples).toBe(IOS);
    expect(report.result.raw.count).toBe(IOS);

    // Only the non-poll queues have vectors, and they took every completion.
    expect(before.names).toEqual(disk === LAB_DISKS.nvme ? ['nvme0q1', 'nvme0q2'] : [expect.stringMatching(/^virtio\d+-req\.0$/)]);
    const raised = after.total - before.total;
    expect(raised).toBeGreaterThanOrEqual(0.8 * IOS);
    expect(raised).toBeLessThanOrEqual(1.5 * IOS);
  });

  // The root filesystem is the initramfs (rootfs, tmpfs-backed): no disk under /, so the probe
  // falls back to a scratch file there. It ends with one error line and a hint either way.
  test("without a target: the 256 MiB scratch file (and its margin) does not fit in the guest's RAM-backed root", async () => {
    const r = await guest.run(`node bin/nvprobe probe --ios ${IOS} --ramp 0 --json`);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([
      expect.stringMatching(/^nvprobe: not enough free space in \/var\/lib\/nvprobe for a 256 MiB scratch file \(\d+ MiB free\)$/),
      'hint: use --size to probe a smaller span, or give a TARGET file or device',
      '',
    ]);
  });

  test("without a target and a span that fits: 6.1's tmpfs refuses O_DIRECT, exit 2 naming the filesystem", async () => {
    const r = await guest.run(`node bin/nvprobe probe --size 16M --ios ${IOS} --ramp 0 --json`);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([
      // Said before the first byte is written (probe writes nothing else).
      expect.stringMatching(/^nvprobe: writing a 16 MiB scratch file in \/var\/lib\/nvprobe \(removed when done\): /),
      expect.stringMatching(/^nvprobe: \/var\/lib\/nvprobe\/\.nvprobe-scratch-\S+\.dat: the rootfs filesystem does not support O_DIRECT$/),
      'hint: probe a file on a filesystem with direct I/O (ext4, xfs, btrfs), or the block device itself',
      '',
    ]);
    // The scratch file it wrote is gone.
    expect(await sh(guest, 'ls -A /var/lib/nvprobe')).toBe('');
  });
});

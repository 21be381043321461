import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KERNEL_CMDLINE } from './lab/boot-disk.js';
import { BootSequence } from './lab/boot-sequence.js';
import { LAB_DISKS, type Guest } from './lab/guest.js';
import { writeGuestFile } from './lab/guest-files.js';

// The harness as boot loader, proved on itself (no nvprobe): the test edits /etc/kernel/cmdline on
// the guest's boot disk as nvprobe's persist code would, reboots, and the next boot runs with what
// the disk says. Four boots (the last after a power cut); a fifth is refused.

/** Run in the guest, insist on success, give stdout (untrimmed: byte comparisons need it whole). */
async function sh(guest: Guest, script: string): Promise<string> {
  const r = await guest.run(script);
  expect(r.exitCode, `${script}\nstderr: ${r.stderr}`).toBe(0);
  return r.stdout;
}

const POLL_WORDS = ['virtio_blk.poll_queues=1', 'nvme.poll_queues=1'];

describe("boot sequence: the harness boots what the guest's boot disk says", () => {
  let seq: BootSequence;
  let original: string; // boot 1's /proc/cmdline
  beforeAll(async () => {
    seq = await BootSequence.start({ layout: 'kernel-install', maxBoots: 4 });
  });
  afterAll(async () => {
    await seq?.shutdown();
  });

  test('boot 1: the command line from the boot disk, no poll queues, the boot disk mounted beside vda and nvme0n1', async () => {
    const g = seq.guest;
    original = await sh(g, 'cat /proc/cmdline');
    expect(original).toBe(`${seq.boots[0]!.config.cmdline}\n`);
    expect(seq.boots[0]!.config.source).toBe(KERNEL_CMDLINE);
    for (const w of POLL_WORDS) expect(original.split(/\s+/)).not.toContain(w);
    expect(await sh(g, `cat ${KERNEL_CMDLINE}`)).toBe(`${seq.boots[0]!.config.cmdline}\n`);
    // /etc, /boot and the state dir are the boot disk (vdb), not the initramfs.
    const mounts = await sh(g, 'cat /proc/mounts');
    for (const dir of ['/etc', '/boot', '/var/lib/nvprobe']) expect(mounts).toMatch(new RegExp(`^/dev/vdb ${dir} ext4 rw`, 'm'));
    // The measurement disks are where they were: vda the 2-queue lab disk, nvme0n1 the NVMe one.
    expect((await sh(g, `cat /sys/block/vdb/serial; cat /sys/block/${LAB_DISKS.virtio}/serial; echo`)).split('\n').slice(0, 2)).toEqual(['nvp-boot', '']);
    expect((await sh(g, `ls /sys/block/${LAB_DISKS.virtio}/mq`)).split(/\s+/).filter(Boolean)).toEqual(['0', '1']);
    expect((await sh(g, `ls /sys/block/${LAB_DISKS.nvme}/mq`)).split(/\s+/).filter(Boolean)).toEqual(['0', '1']);
    expect((await sh(g, `cat /sys/block/${LAB_DISKS.virtio}/queue/io_poll /sys/block/${LAB_DISKS.nvme}/queue/io_poll`)).split('\n')).toEqual(['0', '0', '']);
  });

  test('boot 2: poll_queues written into /etc/kernel/cmdline reach virtio_blk and nvme', async () => {
    const edited = `${original.trim()} ${POLL_WORDS.join(' ')}`;
    await writeGuestFile(seq.guest, KERNEL_CMDLINE, `${edited}\n`);
    await writeGuestFile(seq.guest, '/var/lib/nvprobe/boot1', 'state from boot 1\n');
    const g = await seq.reboot();
    expect(await sh(g, 'cat /var/lib/nvprobe/boot1')).toBe('state from boot 1\n');
    expect(seq.boots.map((b) => b.end)).toEqual(['reboot', undefined]);
    expect(seq.boots[1]!.config.cmdline).toBe(edited);
    const cmdline = await sh(g, 'cat /proc/cmdline');
    expect(cmdline).toBe(`${edited}\n`);
    for (const w of POLL_WORDS) expect(cmdline.split(/\s+/)).toContain(w);
    expect(await sh(g, 'cat /sys/module/virtio_blk/parameters/poll_queues /sys/module/nvme/parameters/poll_queues')).toBe('1\n1\n');
    expect(await sh(g, `cat /sys/block/${LAB_DISKS.virtio}/queue/io_poll /sys/block/${LAB_DISKS.nvme}/queue/io_poll`)).toBe('1\n1\n');
    // nvme adds its poll queue (an extra mq dir); virtio_blk carves it out of the device's two.
    expect((await sh(g, `ls /sys/block/${LAB_DISKS.nvme}/mq`)).split(/\s+/).filter(Boolean)).toEqual(['0', '1', '2']);
    const dmesg = await sh(g, 'dmesg');
    expect(dmesg).toMatch(/virtio_blk virtio0: 1\/0\/1 default\/read\/poll queues/);
    expect(dmesg).toMatch(/nvme nvme0: 2\/0\/1 default\/read\/poll queues/);
    // The boot disk's single queue leaves no room for a poll queue: it stays as it was.
    expect(await sh(g, 'cat /sys/block/vdb/queue/io_poll')).toBe('0\n');
  });

  test('boot 3: the original written back gives the original /proc/cmdline, byte for byte', async () => {
    await writeGuestFile(seq.guest, KERNEL_CMDLINE, original);
    const g = await seq.reboot();
    expect(await sh(g, 'cat /proc/cmdline')).toBe(original);
    expect(await sh(g, `cat /sys/block/${LAB_DISKS.virtio}/queue/io_poll /sys/block/${LAB_DISKS.nvme}/queue/io_poll`)).toBe('0\n0\n');
  });

  test("boot 4 after a power cut: what was synced is there, the command line is the disk's", async () => {
    await sh(seq.guest, 'echo synced > /var/lib/nvprobe/synced && sync');
    const g = await seq.powerCut();
    expect(seq.boots.map((b) => b.end)).toEqual(['reboot', 'reboot', 'power-cut', undefined]);
    expect(await sh(g, 'cat /var/lib/nvprobe/synced')).toBe('synced\n');
    expect(await sh(g, 'cat /proc/cmdline')).toBe(original);
    for (const b of seq.boots) expect(b.bootMs).toBeGreaterThan(0);
    console.log(`boot sequence: ${seq.boots.map((b) => `boot ${b.index} ${(b.bootMs / 1000).toFixed(1)} s`).join(', ')}`);
  });

  test('a reboot beyond maxBoots is stopped with an error naming the bound, and the disk is readable after', async () => {
    await expect(seq.reboot()).rejects.toThrow(/asked for boot 5, but this boot sequence allows 4: stopped/);
    expect(seq.boots.map((b) => b.end)).toEqual(['reboot', 'reboot', 'power-cut', 'reboot']);
    expect(() => seq.guest).toThrow(/no guest is running/);
    expect(seq.readFile(KERNEL_CMDLINE)?.toString()).toBe(original);
    expect((await seq.bootConfig()).cmdline).toBe(original.trim());
  });
});

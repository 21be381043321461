import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { BLOCK, blockContent, blockTag } from './lab/disk-images.js';
import { LAB_DISKS, type Guest } from './lab/guest.js';
import { captureGuestTree, writeGuestFile } from './lab/guest-files.js';
import { repoRoot } from './lab/repo-paths.js';
import { sharedGuest } from './lab/shared-guests.js';

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const readBlockScript = readFileSync(new URL('./guest/read-block.mjs', import.meta.url), 'utf8');

/** Run in the guest, insist on success, give trimmed stdout. */
async function sh(guest: Guest, script: string): Promise<string> {
  const r = await guest.run(script);
  expect(r.exitCode, `${script}\nstderr: ${r.stderr}`).toBe(0);
  return r.stdout.trim();
}

// What the Debian 6.1 cloud kernel does with a 2-queue virtio-blk device and QEMU's NVMe
// controller on 2 vCPUs. virtio_blk carves poll queues out of the device's num-queues (so the
// total stays 2), nvme adds them on top of one queue per CPU.
const CASES = [
  {
    label: 'without poll queues',
    pollQueues: 0 as const,
    vda: { mq: ['0', '1'], split: '2/0/0', irqQueues: 2 },
    nvme: { mq: ['0', '1'], split: '2/0/0' },
  },
  {
    label: 'with poll_queues=1',
    pollQueues: 1 as const,
    vda: { mq: ['0', '1'], split: '1/0/1', irqQueues: 1 },
    nvme: { mq: ['0', '1', '2'], split: '2/0/1' },
  },
];

describe.each(CASES)('lab guest $label', (c) => {
  let guest: Guest;
  beforeAll(async () => {
    guest = await sharedGuest(c.pollQueues);
  });

  test('runs the Debian cloud kernel the lab fetched', async () => {
    expect(guest.kernelRelease).toMatch(/^6\.1\.0-\d+-cloud-amd64$/);
    expect(await sh(guest, 'uname -r')).toBe(guest.kernelRelease);
  });

  test('both drivers took poll_queues (virtio_blk from insmod, nvme from the cmdline)', async () => {
    expect(await sh(guest, 'cat /sys/module/virtio_blk/parameters/poll_queues')).toBe(String(c.pollQueues));
    expect(await sh(guest, 'cat /sys/module/nvme/parameters/poll_queues')).toBe(String(c.pollQueues));
  });

  test('vda: hardware queues, io_poll, and interrupt vectors only for non-poll queues', async () => {
    const vda = LAB_DISKS.virtio;
    expect((await sh(guest, `ls /sys/block/${vda}/mq`)).split(/\s+/)).toEqual(c.vda.mq);
    expect(await sh(guest, `cat /sys/block/${vda}/queue/io_poll`)).toBe(String(c.pollQueues));
    const virtioDev = await sh(guest, `basename "$(readlink /sys/block/${vda}/device)"`);
    expect(virtioDev).toMatch(/^virtio\d+$/);
    const irqLines = await sh(guest, `grep -c ' ${virtioDev}-req\\.' /proc/interrupts || true`);
    expect(Number(irqLines)).toBe(c.vda.irqQueues);
  });

  test('nvme0n1: QEMU NVMe controller, hardware queues and io_poll', async () => {
    const nvme = LAB_DISKS.nvme;
    expect(await sh(guest, `cat /sys/block/${nvme}/device/model`)).toBe('QEMU NVMe Ctrl');
    expect(await sh(guest, `cat /sys/block/${nvme}/device/serial`)).toBe('nvp1');
    expect((await sh(guest, `ls /sys/block/${nvme}/mq`)).split(/\s+/)).toEqual(c.nvme.mq);
    expect(await sh(guest, `cat /sys/block/${nvme}/queue/io_poll`)).toBe(String(c.pollQueues));
  });

  test('the drivers log their default/read/poll queue split', async () => {
    const dmesg = await sh(guest, 'dmesg');
    expect(dmesg).toMatch(new RegExp(`virtio_blk virtio\\d+: ${c.vda.split} default/read/poll queues`));
    expect(dmesg).toMatch(new RegExp(`nvme nvme0: ${c.nvme.split} default/read/poll queues`));
  });

  test('nvprobe runs inside: --version and probe --help', async () => {
    const v = await guest.run('node /opt/nvprobe/bin/nvprobe --version');
    expect(v).toEqual({ stdout: `${version}\n`, stderr: '', exitCode: 0 });
    const help = await guest.run('node /opt/nvprobe/bin/nvprobe probe --help');
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/^Usage: nvprobe probe/);
  });

  test('an O_DIRECT read through nvprobe psync2 (node + ffi-rs) returns the disk block asked for', async () => {
    await writeGuestFile(guest, '/tmp/read-block.mjs', readBlockScript);
    for (const [disk, block] of [
      [LAB_DISKS.virtio, 100],
      [LAB_DISKS.nvme, 2049],
    ] as const) {
      const got = JSON.parse(await sh(guest, `node /tmp/read-block.mjs /dev/${disk} ${block * BLOCK}`)) as { tag: string; sha256: string };
      expect(got.tag).toBe(blockTag(disk, block));
      expect(got.sha256).toBe(createHash('sha256').update(blockContent(disk, block)).digest('hex'));
    }
  });

  test('a sysfs/procfs subset comes back to the host as a tree', async () => {
    const dir = await captureGuestTree(guest, ['/sys/block/vda/queue', '/sys/module/virtio_blk/parameters', '/proc/cmdline'], { maxDepth: 1 });
    try {
      expect(readFileSync(join(dir, 'sys/block/vda/queue/io_poll'), 'utf8')).toBe(`${c.pollQueues}\n`);
      expect(readFileSync(join(dir, 'sys/module/virtio_blk/parameters/poll_queues'), 'utf8')).toBe(`${c.pollQueues}\n`);
      expect(readFileSync(join(dir, 'proc/cmdline'), 'utf8')).toContain(`virtio_blk.poll_queues=${c.pollQueues}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { beforeAll, describe, expect, test } from 'vitest';
import { LAB_DISKS, type Guest } from './lab/guest.js';
import { sharedGuest } from './lab/shared-guests.js';
import { sh } from './probe.test.js';

interface Finding {
  id: string;
  status: string;
}

// check and tune for real inside guest kernels: the findings must match what the lab guest is,
// and tune must change and put back real queue attributes of both disks.
describe('nvprobe check in the lab guests', () => {
  test('without poll queues: recommends them for both disks, advises on the emulated NVMe', async () => {
    const guest = await sharedGuest(0);
    const r = await guest.run('node bin/nvprobe check --json');
    expect(r.exitCode, r.stderr).toBe(0);
    const status = Object.fromEntries((JSON.parse(r.stdout).findings as Finding[]).map((f) => [f.id, f.status]));
    expect(status).toMatchObject({
      'poll-queues-missing-virtio-blk:vda': 'recommend',
      'poll-queues-missing-nvme:nvme0n1': 'recommend',
      'nvme-emulated-by-qemu:nvme0n1': 'advise',
      'scheduler-not-none:vda': 'ok',
      'haltpoll-driver-not-loaded': 'n/a', // TCG is not KVM: no haltpoll advice
    });
  });

  test('with poll queues: no poll-queue recommendation, io_uring IOPOLL noted instead', async () => {
    const guest = await sharedGuest(1);
    const r = await guest.run('node bin/nvprobe check --json');
    expect(r.exitCode, r.stderr).toBe(0);
    const status = Object.fromEntries((JSON.parse(r.stdout).findings as Finding[]).map((f) => [f.id, f.status]));
    expect(status['poll-queues-missing-virtio-blk:vda']).toBe('ok');
    expect(status['poll-queues-missing-nvme:nvme0n1']).toBe('ok');
    expect(status['polled-io-needs-io-uring:nvme0n1']).toBe('info');
  });
});

describe('nvprobe tune in the lab guest', () => {
  let guest: Guest;
  beforeAll(async () => {
    guest = await sharedGuest(0);
  });

  test.each([LAB_DISKS.virtio, LAB_DISKS.nvme])('/dev/%s: dry-run, apply with measurement, revert restores the queue', async (disk) => {
    const attrs = ['rotational', 'iostats', 'scheduler'];
    const read = () => sh(guest, attrs.map((a) => `cat /sys/block/${disk}/queue/${a}`).join('; '));
    const original = await read();
    const dry = await guest.run(`node bin/nvprobe tune /dev/${disk} --dry-run`);
    expect(dry.exitCode, dry.stderr).toBe(0);
    // iostats = 0 blinds monitoring: a trade-off tune tries only when it is named.
    expect(dry.stdout).toContain(`Not tried: ${disk}:queue/iostats = 0: a trade-off`);
    const named = await guest.run(`node bin/nvprobe tune /dev/${disk} --dry-run --only iostats-on`);
    expect(named.stdout).toContain(`${disk}:queue/iostats: 1 -> 0`);
    expect(await read()).toBe(original);

    const state = `/tmp/nvprobe-state-${disk}`;
    const r = await guest.run(`node bin/nvprobe tune /dev/${disk} --yes --json --state-dir ${state} --only iostats-on,virtio-blk-rotational --round 150ms --max-blocks 8`);
    expect(r.exitCode, r.stderr).toBe(0);
    const changes = JSON.parse(r.stdout).result.changes as Array<{ target: string; decision: string }>;
    expect(changes.map((c) => c.target)).toContain(`${disk}:queue/iostats`);
    for (const c of changes) expect(['kept', 'reverted']).toContain(c.decision);
    const rv = await guest.run(`node bin/nvprobe revert --all --state-dir ${state}`);
    expect(rv.exitCode, rv.stderr).toBe(0);
    expect(await read()).toBe(original);
  });
});

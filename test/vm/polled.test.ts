import { beforeAll, describe, expect, test } from 'vitest';
import type { ProbeReport } from '../../src/contracts/probe-document.js';
import { LAB_DISKS, type Guest } from './lab/guest.js';
import { sharedGuest } from './lab/shared-guests.js';
import { queueInterrupts } from './lab/queue-interrupts.js';

const IOS = 2000;

// The other half of the kernel fact: io_uring with IORING_SETUP_IOPOLL on a queue with poll
// queues completes without interrupts; the same disk without poll queues raises one per read.
describe('io_uring IOPOLL in the lab guests', () => {
  let polled: Guest;
  let plain: Guest;
  beforeAll(async () => {
    [polled, plain] = await Promise.all([sharedGuest(1), sharedGuest(0)]);
  });

  test.each([LAB_DISKS.virtio, LAB_DISKS.nvme])('/dev/%s with poll queues: polled: true, interrupts do not grow', async (disk) => {
    const before = await queueInterrupts(polled, disk);
    const r = await polled.run(`node bin/nvprobe probe /dev/${disk} --engine io_uring --ios ${IOS} --ramp 0 --json`);
    const after = await queueInterrupts(polled, disk);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ProbeReport;
    expect(report.engine).toMatchObject({ name: 'io_uring', polled: { polled: true } });
    expect(report.engine.polled.reason).toMatch(/IORING_SETUP_IOPOLL on .* poll queues/);
    expect(report.result.samples).toBe(IOS);
    // A handful at most (another process's I/O, the check read), never one per read.
    expect(after.total - before.total).toBeLessThanOrEqual(10);
  });

  test('auto picks io_uring IOPOLL where the queue polls', async () => {
    const r = await polled.run(`node bin/nvprobe probe /dev/${LAB_DISKS.nvme} --ios 200 --ramp 0 --json`);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ProbeReport;
    expect(report.engine).toMatchObject({ name: 'io_uring', requested: 'auto', polled: { polled: true } });
  });

  test.each([LAB_DISKS.virtio, LAB_DISKS.nvme])('/dev/%s without poll queues: io_uring completes by interrupt and says so', async (disk) => {
    const before = await queueInterrupts(plain, disk);
    const r = await plain.run(`node bin/nvprobe probe /dev/${disk} --engine io_uring --ios 500 --ramp 0 --json`);
    const after = await queueInterrupts(plain, disk);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ProbeReport;
    expect(report.engine).toMatchObject({ name: 'io_uring', polled: { polled: false } });
    expect(report.engine.polled.reason).toMatch(/no poll queues/);
    expect(after.total - before.total).toBeGreaterThanOrEqual(0.8 * 500);
  });
});

import { afterAll, describe, expect, it } from 'vitest';
import { renderDetectSummary } from '../../src/report/detect-summary.js';
import { classifyNvmeController } from '../../src/detect/nvme-controller.js';
import { detectSnapshot } from '../../src/detect/snapshot.js';
import { Root } from '../../src/host/root.js';
import { copyFixture, KVM_FIXTURE, removeTemp } from '../helpers/fixtures.js';
import { addNvmeDisk, addNvmeMultipath, EBS_NVME_DISK } from '../helpers/tree-edit.js';

// QEMU's emulated controller is read from real captures (fixture-qemu.test.ts). An AWS EBS volume
// (Nitro card) cannot exist here: the captured KVM tree plus one, laid out as the nvme driver does.
const dir = copyFixture(KVM_FIXTURE);
afterAll(() => removeTemp(dir));
addNvmeDisk(dir, EBS_NVME_DISK);
const snap = detectSnapshot(new Root(dir));
const disk = (name: string) => snap.disks.find((d) => d.name === name)!;

describe('an Amazon EBS volume in an edited copy of the captured tree', () => {
  it('recognises it as a real (offloaded) controller from its PCI ids and model', () => {
    const d = disk('nvme0n1');
    expect(d.transport).toBe('nvme');
    expect(d.driver).toBe('nvme');
    expect(d.model).toBe('Amazon Elastic Block Store');
    expect(d.ids.serial).toBe('vol0123456789abcdef0');
    expect(d.nvme).toEqual({ controller: 'nvme0', kind: 'aws-ebs', emulated: false, firmware: '1.0', transport: 'pcie', multipathPaths: [] });
    expect(d.pci).toMatchObject({ address: '0000:00:1f.0', vendorId: '1d0f', deviceId: '8061' });
    expect(d.numaNode).toBe(0);
    expect(d.sizeBytes).toBe(8 * 1024 ** 3);
    expect(d.settings.scheduler).toBe('none');
    expect(d.settings.rotational).toBe(false);
  });

  it('maps nvmeXqN interrupts to hardware queues and leaves the admin queue out', () => {
    const d = disk('nvme0n1');
    expect(d.queues.hwQueues).toBe(2);
    expect(d.queues.pollQueuesParam).toBe(0);
    expect(d.queues.pollQueuesParamPath).toBe('/sys/module/nvme/parameters/poll_queues');
    expect(d.irqs.map((i) => [i.name, i.queue, i.irq, i.effectiveCpus])).toEqual([
      ['nvme0q1', 0, 61, [0]],
      ['nvme0q2', 1, 62, [1]],
    ]);
  });

  it('reads nvme and nvme_core parameters once NVMe disks exist', () => {
    expect(snap.driverModules.nvme).toEqual({ io_queue_depth: '1024', poll_queues: '0' });
    expect(snap.driverModules.nvme_core).toEqual({ io_timeout: '30' });
  });

  it('shows model and controller kind in the summary table', () => {
    expect(renderDetectSummary(snap)).toMatch(/^nvme0n1 +nvme +Amazon Elastic Block Store \(aws-ebs\) +8 GiB +2 +0 +no +none +no +0 +-$/m);
  });

  it('leaves the captured disks as they were', () => {
    expect(disk('vda').transport).toBe('virtio-blk');
    expect(disk('vda').irqs.map((i) => i.name)).toEqual(['virtio1-req.0']);
  });
});

describe('NVMe native multipath (edited copies)', () => {
  it.each([
    ["with the head's multipath/ links", true],
    ["through the subsystem's controller links only", false],
  ])('finds the controller and queues behind the head %s', (_, withLinks) => {
    const tree = copyFixture(KVM_FIXTURE);
    try {
      addNvmeMultipath(
        tree,
        {
          pciAddress: '0000:00:1f.0',
          vendor: '1d0f',
          device: '8061',
          subsystemVendor: '1d0f',
          subsystemDevice: '8061',
          model: 'Amazon Elastic Block Store',
          serial: 'vol0abc',
          controller: 'nvme0',
          dev: '259:0',
          sectors: 16777216,
          hwQueues: 2,
          firstIrq: 60,
          numaNode: 0,
        },
        withLinks,
      );
      const d = detectSnapshot(new Root(tree)).disks.find((x) => x.name === 'nvme0n1')!;
      expect(d.sysPath).toBe('/sys/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1');
      expect(d).toMatchObject({ transport: 'nvme', model: 'Amazon Elastic Block Store', numaNode: 0, driver: 'nvme' });
      expect(d.nvme).toMatchObject({ controller: 'nvme0', kind: 'aws-ebs', multipathPaths: ['nvme0c0n1'] });
      expect(d.queues.hwQueues).toBe(2);
      expect(d.settings.scheduler).toBe('none');
      expect(d.irqs.map((i) => i.name)).toEqual(['nvme0q1', 'nvme0q2']);
      expect(d.ids.wwid).toMatch(/^nvme\.1b36-vol0abc/);
    } finally {
      removeTemp(tree);
    }
  });
});

describe('classifyNvmeController', () => {
  it.each([
    ['QEMU NVMe Ctrl', '1b36', '0010', 'qemu-emulated'],
    ['Amazon Elastic Block Store', '1d0f', '8061', 'aws-ebs'],
    ['Amazon EC2 NVMe Instance Storage', '1d0f', 'cd01', 'aws-instance-store'],
    ['nvme_card-pd', '1ae0', '001f', 'gce-persistent-disk'],
    ['nvme_card', '1ae0', '001f', 'gce-local-ssd'],
    ['MSFT NVMe Accelerator v1.0', '1414', 'b111', 'azure-nvme'],
    ['Samsung SSD 980 PRO 1TB', '144d', 'a80a', 'other'],
  ] as const)('%s (%s:%s) → %s', (model, vendor, device, kind) => {
    expect(classifyNvmeController(model, vendor, device)).toBe(kind);
  });
});

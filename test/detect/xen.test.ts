import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectSnapshot } from '../../src/detect/snapshot.js';
import { Root } from '../../src/host/root.js';
import { copyFixture, KVM_FIXTURE, removeTemp } from '../helpers/fixtures.js';
import { link, queueFiles, setRootMount, writeFiles } from '../helpers/tree-edit.js';

// The captured tree turned into a Xen HVM guest (e.g. an older EC2 instance type): the disk
// becomes xvda under a vbd device of the xen bus, the clocksource xen, DMI says "Xen", and
// there is no KVM paravirt, so no cpuidle-haltpoll.
const dir = copyFixture(KVM_FIXTURE);
afterAll(() => removeTemp(dir));
const vbd = '/sys/devices/vbd-51712';
const xvda = `${vbd}/block/xvda`;
for (const p of ['sys/block/vda', 'sys/devices/pci0000:00/0000:00:02.0', 'sys/module/haltpoll', 'sys/module/cpuidle_haltpoll', 'sys/module/virtio_blk']) rmSync(join(dir, p), { recursive: true, force: true });
writeFiles(dir, {
  '/sys/hypervisor/type': 'xen',
  '/sys/class/dmi/id/sys_vendor': 'Xen',
  '/sys/class/dmi/id/product_name': 'HVM domU',
  '/sys/class/dmi/id/bios_vendor': 'Xen',
  '/sys/devices/system/clocksource/clocksource0/current_clocksource': 'xen',
  '/sys/devices/system/clocksource/clocksource0/available_clocksource': 'xen tsc hpet acpi_pm ',
  '/sys/devices/system/cpu/cpuidle/current_driver': 'none',
  '/sys/devices/system/cpu/cpuidle/current_governor': 'menu',
  '/sys/devices/system/cpu/cpuidle/current_governor_ro': 'menu',
  '/sys/devices/system/cpu/cpuidle/available_governors': 'ladder menu teo ',
  [`${xvda}/dev`]: '202:0',
  [`${xvda}/size`]: 16777216,
  [`${xvda}/ro`]: 0,
  [`${xvda}/removable`]: 0,
  ...queueFiles(xvda, { scheduler: '[none] mq-deadline', rotational: 0, ioPoll: 0, hwQueues: 1, cpuLists: ['0, 1'] }),
});
for (const cpu of [0, 1]) rmSync(join(dir, `sys/devices/system/cpu/cpu${cpu}/cpuidle`), { recursive: true, force: true });
link(dir, `${vbd}/driver`, '/sys/bus/xen/drivers/vbd');
link(dir, '/sys/bus/xen/devices/vbd-51712', vbd);
for (const at of ['/sys/block/xvda', '/sys/class/block/xvda', '/sys/dev/block/202:0']) link(dir, at, xvda);
setRootMount(dir, '202:0', '/dev/xvda');
const snap = detectSnapshot(new Root(dir));

describe('Xen HVM guest (edited copy)', () => {
  it('is xen, named by DMI, decided by /sys/hypervisor first', () => {
    expect(snap.hypervisor.kind).toBe('xen');
    expect(snap.hypervisor.vendor).toBe('Xen');
    expect(snap.hypervisor.product).toBe('HVM domU');
    expect(snap.hypervisor.evidence.slice(0, 3)).toEqual([
      '/sys/hypervisor/type: xen',
      'xen bus has devices (/sys/bus/xen/devices)',
      'clocksource xen available (current: xen)',
    ]);
    expect(snap.hypervisor.signals.paravirtBuses).toEqual(['xen']);
  });

  it('reads xvda as xen-blkfront without PCI, virtio or attributable IRQs', () => {
    const d = snap.disks.find((x) => x.name === 'xvda')!;
    expect(d).toMatchObject({ transport: 'xen-blkfront', driver: 'vbd', pci: null, virtio: null, nvme: null, numaNode: null, rootFs: 'self', sizeBytes: 8 * 1024 ** 3 });
    expect(d.queues.hwQueues).toBe(1);
    expect(d.queues.pollQueuesParam).toBeNull();
    expect(d.irqs).toEqual([]);
    expect(snap.disks.map((x) => x.name)).not.toContain('vda');
  });

  it('explains why there is no guest halt polling', () => {
    expect(snap.cpuidle.driver).toBe('none');
    expect(snap.cpuidle.perCpu.every((c) => c.states.length === 0)).toBe(true);
    expect(snap.cpuidle.haltpoll).toMatchObject({ driverActive: false, governorBuilt: false, parameters: null, forced: null, polling: false, absence: 'driver-not-loaded' });
    expect(snap.cpuidle.haltpoll.explanation).toMatch(/driver is none, not haltpoll/);
  });
});

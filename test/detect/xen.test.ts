import { afterAll, describe, expect, it } from 'vitest';
import { detectSnapshot } from '../../src/detect/snapshot.js';
import { Root } from '../../src/host/root.js';
import { removeTemp } from '../helpers/fixtures.js';
import { xenGuestTree } from '../helpers/guest-trees.js';

// The captured tree turned into a Xen HVM guest (e.g. an older EC2 instance type): the disk
// becomes xvda under a vbd device of the xen bus, the clocksource xen, DMI says "Xen", and
// there is no KVM paravirt, so no cpuidle-haltpoll.
const dir = xenGuestTree();
afterAll(() => removeTemp(dir));
const snap = detectSnapshot(new Root(dir));

describe('Xen HVM guest (edited copy)', () => {
  it('is xen, named by DMI, decided by /sys/hypervisor first', () => {
    expect(snap.hypervisor.kind).toBe('xen');
    expect(snap.hypervisor.vendor).toBe('Xen');
    expect(snap.hypervisor.product).toBe('HVM domU');
    expect(snap.hypervisor.evidence.slice(0, 3)).toEqual(['/sys/hypervisor/type: xen', 'xen bus has devices (/sys/bus/xen/devices)', 'clocksource xen available (current: xen)']);
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

import { afterEach, describe, expect, it } from 'vitest';
import { blockDeviceForDevno, diskNameForDevno } from '../../src/detect/root-fs.js';
import { detectSnapshot } from '../../src/detect/snapshot.js';
import { Root } from '../../src/host/root.js';
import { copyFixture, KVM_FIXTURE, removeTemp } from '../helpers/fixtures.js';
import { link, queueFiles, setRootMount, writeFiles } from '../helpers/tree-edit.js';

const VDA = '/sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda';
let dir = '';
afterEach(() => removeTemp(dir));

/** vda1 as the block layer lays out a partition: a directory inside its disk. */
function addPartition(root: string): void {
  writeFiles(root, { [`${VDA}/vda1/partition`]: 1, [`${VDA}/vda1/start`]: 2048, [`${VDA}/vda1/size`]: 2048000, [`${VDA}/vda1/dev`]: '254:1', [`${VDA}/vda1/ro`]: 0 });
  link(root, '/sys/class/block/vda1', `${VDA}/vda1`);
  link(root, '/sys/dev/block/254:1', `${VDA}/vda1`);
}

/** An LVM logical volume dm-0 over the given device, as dm-sysfs shows it. */
function addDm(root: string, over: string, overDir: string): void {
  const dm = '/sys/devices/virtual/block/dm-0';
  writeFiles(root, {
    [`${dm}/dev`]: '252:0',
    [`${dm}/size`]: 2040000,
    [`${dm}/ro`]: 0,
    [`${dm}/removable`]: 0,
    [`${dm}/dm/name`]: 'vg-root',
    [`${dm}/dm/uuid`]: 'LVM-kX3cWnMVPFx0aEx8hOqzpZ2mHHEdVbKd1aNzk3kT4d5k2CNsA8HfnFnLhcyjRsjh',
    ...queueFiles(dm, { scheduler: 'none', rotational: 1, ioPoll: 0, hwQueues: 0, cpuLists: [] }),
  });
  link(root, `${dm}/slaves/${over}`, overDir);
  link(root, `${overDir}/holders/dm-0`, dm);
  for (const at of ['/sys/block/dm-0', '/sys/class/block/dm-0', '/sys/dev/block/252:0']) link(root, at, dm);
}

describe('partitions', () => {
  it('sees vda1 as a partition of vda, holding / through it', () => {
    dir = copyFixture(KVM_FIXTURE);
    addPartition(dir);
    setRootMount(dir, '254:1', '/dev/vda1');
    const root = new Root(dir);
    const snap = detectSnapshot(root);
    const vda = snap.disks.find((d) => d.name === 'vda')!;
    expect(snap.disks.map((d) => d.name)).not.toContain('vda1');
    expect(vda.stack.partitions).toEqual([{ name: 'vda1', dev: '254:1', number: 1, startSector: 2048, sizeBytes: 2048000 * 512 }]);
    expect(vda.rootFs).toBe('partition');
    expect(snap.rootFs).toMatchObject({ device: 'vda1', disk: 'vda', dev: '254:1' });
    expect(blockDeviceForDevno(root, 254, 1)).toEqual({ device: 'vda1', disk: 'vda' });
    expect(diskNameForDevno(root, 254, 1)).toBe('vda');
  });
});

describe('device-mapper', () => {
  it('follows dm-0 down to the disk under it and marks that disk as holding /', () => {
    dir = copyFixture(KVM_FIXTURE);
    addPartition(dir);
    addDm(dir, 'vda1', `${VDA}/vda1`);
    setRootMount(dir, '252:0', '/dev/mapper/vg-root');
    const snap = detectSnapshot(new Root(dir));
    const dm = snap.disks.find((d) => d.name === 'dm-0')!;
    const vda = snap.disks.find((d) => d.name === 'vda')!;
    expect(dm.transport).toBe('dm');
    expect(dm.stack).toMatchObject({ slaves: ['vda1'], backingDisks: ['vda'], dm: { name: 'vg-root', uuidPrefix: 'LVM' } });
    expect(dm.queues.hwQueues).toBeNull();
    expect(dm.rootFs).toBe('self');
    expect(vda.stack.holders).toEqual(['dm-0']);
    expect(vda.rootFs).toBe('stacked');
    expect(snap.rootFs).toMatchObject({ device: 'dm-0', disk: 'dm-0', source: '/dev/mapper/vg-root' });
  });

  it('finds the dm device by its mapper name when the mount has an anonymous device number (btrfs)', () => {
    dir = copyFixture(KVM_FIXTURE);
    addDm(dir, 'vda', VDA);
    setRootMount(dir, '0:33', '/dev/mapper/vg-root', 'btrfs');
    const snap = detectSnapshot(new Root(dir));
    expect(snap.rootFs).toMatchObject({ device: 'dm-0', dev: '0:33', fsType: 'btrfs' });
    expect(snap.disks.find((d) => d.name === 'vda')!.rootFs).toBe('stacked');
  });

  it('says / is on no block device for an overlay root', () => {
    dir = copyFixture(KVM_FIXTURE);
    setRootMount(dir, '0:45', 'overlay', 'overlay');
    const snap = detectSnapshot(new Root(dir));
    expect(snap.rootFs).toMatchObject({ device: null, disk: null, fsType: 'overlay' });
    expect(snap.disks.every((d) => d.rootFs === null)).toBe(true);
  });
});

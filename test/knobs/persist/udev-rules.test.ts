import { afterEach, describe, expect, it } from 'vitest';
import { diskMatch, setUdevQueueAttrs, UDEV_RULES } from '../../../src/knobs/persist/udev-rules.js';
import { deleteFiles, persistTree, putFiles, type PersistTree } from '../../helpers/persist-root.js';

const trees: PersistTree[] = [];
afterEach(() => {
  for (const t of trees.splice(0)) t.remove();
});
function tree(scenario: string): PersistTree {
  const t = persistTree(scenario);
  trees.push(t);
  return t;
}

const HEADER =
  '# Managed by nvprobe: `nvprobe revert` removes this file.\n' +
  '# Queue settings kept by `nvprobe tune`, applied when a disk is added or changes;\n' +
  '# edits made here are overwritten by the next tune.\n';
const BY_NAME = '# disk vda: matched by kernel name; another disk gets it if disks are added or probed in another order\n';

describe('/etc/udev/rules.d/60-nvprobe.rules', () => {
  it('writes one line per disk and attribute, the scheduler first, and reloads udev', () => {
    const t = tree('persist-debian12-grub');
    const writes = setUdevQueueAttrs(t.root(), [
      { disk: 'vda', attr: 'nr_requests', value: '64' },
      { disk: 'vda', attr: 'scheduler', value: 'none' },
    ]);
    expect(writes).toEqual([
      {
        op: 'file',
        path: UDEV_RULES,
        content:
          HEADER +
          BY_NAME +
          'ACTION=="add|change", SUBSYSTEM=="block", KERNEL=="vda", ATTR{queue/scheduler}="none"\n' +
          'ACTION=="add|change", SUBSYSTEM=="block", KERNEL=="vda", ATTR{queue/nr_requests}="64"\n',
        mode: 0o644,
        regenerate: ['/usr/bin/udevadm', 'control', '--reload'],
      },
    ]);
  });

  it('is idempotent and changes a value in place', () => {
    const t = tree('persist-debian12-grub');
    t.apply(setUdevQueueAttrs(t.root(), [{ disk: 'vda', attr: 'scheduler', value: 'none' }]));
    expect(setUdevQueueAttrs(t.root(), [{ disk: 'vda', attr: 'scheduler', value: 'none' }])).toEqual([]);
    t.apply(
      setUdevQueueAttrs(t.root(), [
        { disk: 'vda', attr: 'scheduler', value: 'mq-deadline' },
        { disk: 'vda', attr: 'add_random', value: '0' },
      ]),
    );
    expect(t.read(UDEV_RULES)).toBe(
      HEADER +
        BY_NAME +
        'ACTION=="add|change", SUBSYSTEM=="block", KERNEL=="vda", ATTR{queue/scheduler}="mq-deadline"\n' +
        'ACTION=="add|change", SUBSYSTEM=="block", KERNEL=="vda", ATTR{queue/add_random}="0"\n',
    );
  });

  it('matches an NVMe namespace by its wwid and a virtio disk by a serial no other disk shares', () => {
    const ubuntu = tree('persist-ubuntu-cloudimg');
    const wwid = 'nvme.1d0f-766f6c3061316232633364346535663630373138-416d617a6f6e20456c617374696320426c6f636b2053746f7265-00000001';
    expect(diskMatch(ubuntu.root(), 'nvme0n1')).toEqual({ keys: `KERNEL=="nvme*", ENV{DEVTYPE}=="disk", ATTR{wwid}=="${wwid}"`, by: 'wwid' });
    const [w] = setUdevQueueAttrs(ubuntu.root(), [
      { disk: 'nvme1n1', attr: 'scheduler', value: 'none' },
      { disk: 'nvme0n1', attr: 'read_ahead_kb', value: '16' },
    ]);
    expect(w!.content!.split('\n').filter((l) => l.startsWith('# disk '))).toEqual([
      '# disk nvme0n1: matched by wwid; stays with this namespace if controllers probe in another order',
      '# disk nvme1n1: matched by wwid; stays with this namespace if controllers probe in another order',
    ]);
    expect(w!.content).toContain(`KERNEL=="nvme*", ENV{DEVTYPE}=="disk", ATTR{wwid}=="${wwid}", ATTR{queue/read_ahead_kb}="16"\n`);

    const fedora = tree('persist-fedora39-bls');
    expect(diskMatch(fedora.root(), 'vda')).toEqual({ keys: 'KERNEL=="vd*", ENV{DEVTYPE}=="disk", ATTR{serial}=="fedora-root"', by: 'serial' });
    // Two disks with one serial (cloned images): the serial would match both, so the kernel name it is.
    putFiles(fedora.dir, { '/sys/block/vdb/serial': 'fedora-root\n' });
    expect(diskMatch(fedora.root(), 'vda').by).toBe('kernel name');
    // A captured tree's placeholder is no serial at all.
    putFiles(fedora.dir, { '/sys/block/vda/serial': 'REDACTED-serial-1\n', '/sys/block/vdb/serial': 'x\n' });
    expect(diskMatch(fedora.root(), 'vda').by).toBe('kernel name');
  });

  it("keeps other disks' lines when one disk changes, and parses the file it wrote", () => {
    const t = tree('persist-fedora39-bls');
    t.apply(setUdevQueueAttrs(t.root(), [{ disk: 'vdb', attr: 'scheduler', value: 'none' }]));
    t.apply(setUdevQueueAttrs(t.root(), [{ disk: 'vda', attr: 'iostats', value: '0' }]));
    expect(t.read(UDEV_RULES)).toBe(
      HEADER +
        '# disk vda: matched by serial; stays with this disk if disks are added or reordered\n' +
        'ACTION=="add|change", SUBSYSTEM=="block", KERNEL=="vd*", ENV{DEVTYPE}=="disk", ATTR{serial}=="fedora-root", ATTR{queue/iostats}="0"\n' +
        '# disk vdb: matched by serial; stays with this disk if disks are added or reordered\n' +
        'ACTION=="add|change", SUBSYSTEM=="block", KERNEL=="vd*", ENV{DEVTYPE}=="disk", ATTR{serial}=="scratch-0001", ATTR{queue/scheduler}="none"\n',
    );
    expect(setUdevQueueAttrs(t.root(), [{ disk: 'vdb', attr: 'scheduler', value: 'none' }])).toEqual([]);
  });

  it('refuses glob characters in disk names and anything outside the queue attribute allowlist', () => {
    const t = tree('persist-debian12-grub');
    expect(() => setUdevQueueAttrs(t.root(), [{ disk: 'vd*', attr: 'scheduler', value: 'none' }])).toThrow(/disk name/);
    expect(() => setUdevQueueAttrs(t.root(), [{ disk: 'vda', attr: 'io_poll', value: '1' }])).toThrow(/not an allowed queue attribute/);
    expect(() => setUdevQueueAttrs(t.root(), [{ disk: 'vda', attr: 'scheduler', value: 'none", RUN+="/bin/sh' }])).toThrow(/refusing/);
  });

  it('still names udevadm when the tree has none (the plan decides whether to write at all)', () => {
    const t = tree('persist-debian12-grub');
    deleteFiles(t.dir, ['/usr/bin/udevadm']);
    expect(setUdevQueueAttrs(t.root(), [{ disk: 'vda', attr: 'scheduler', value: 'none' }])[0]!.regenerate).toEqual(['udevadm', 'control', '--reload']);
  });
});

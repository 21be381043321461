import { afterEach, describe, expect, it } from 'vitest';
import { MODPROBE_CONF, modprobeFiles, modprobeSettings, setModprobeOptions } from '../../../src/knobs/persist/modprobe-conf.js';
import { deleteFiles, persistTree, putFiles, type PersistTree } from '../../helpers/persist-root.js';

const trees: PersistTree[] = [];
afterEach(() => {
  for (const t of trees.splice(0)) t.remove();
});
function debian(): PersistTree {
  const t = persistTree('persist-debian12-grub');
  trees.push(t);
  return t;
}

const HEADER = '# Managed by nvprobe: `nvprobe revert` removes this file.\n# Module options kept by `nvprobe tune`; edits made here are overwritten by the next tune.\n';

describe('/etc/modprobe.d/nvprobe.conf', () => {
  it("creates nvprobe.conf with one options line per module, leaves the other packages' files alone, and rebuilds the initramfs", () => {
    const t = debian();
    const before = t.files();
    const writes = setModprobeOptions(t.root(), [
      { module: 'virtio_blk', param: 'poll_queues', value: '1' },
      { module: 'virtio-blk', param: 'num_request_queues', value: '2' },
      { module: 'cpuidle_haltpoll', param: 'force', value: 'Y' },
    ]);
    expect(writes).toEqual([
      {
        op: 'file',
        path: MODPROBE_CONF,
        content: `${HEADER}options cpuidle_haltpoll force=Y\noptions virtio_blk num_request_queues=2 poll_queues=1\n`,
        mode: 0o644,
        regenerate: ['/usr/sbin/update-initramfs', '-u'],
      },
    ]);
    t.apply(writes);
    const after = t.files();
    for (const p of ['/etc/modprobe.d/dkms.conf', '/etc/modprobe.d/intel-microcode-blacklist.conf']) expect(after[p]).toBe(before[p]);
    expect(Object.keys(after).filter((p) => !(p in before))).toEqual([MODPROBE_CONF]);
  });

  it('is idempotent: the same options again change nothing, in any order', () => {
    const t = debian();
    const opts = [
      { module: 'virtio_blk', param: 'poll_queues', value: '1' },
      { module: 'virtio_blk', param: 'num_request_queues', value: '2' },
    ];
    t.apply(setModprobeOptions(t.root(), opts));
    expect(setModprobeOptions(t.root(), opts)).toEqual([]);
    expect(setModprobeOptions(t.root(), [...opts].reverse())).toEqual([]);
    expect(setModprobeOptions(t.root(), [opts[1]!])).toEqual([]);
  });

  it('changes a value in place when tune keeps another one later', () => {
    const t = debian();
    t.apply(setModprobeOptions(t.root(), [{ module: 'virtio_blk', param: 'poll_queues', value: '1' }]));
    const [w] = setModprobeOptions(t.root(), [{ module: 'virtio_blk', param: 'poll_queues', value: '2' }]);
    expect(w!.content).toBe(`${HEADER}options virtio_blk poll_queues=2\n`);
  });

  it('adds nothing when another file already gives the same value, and orders sources the way kmod reads them', () => {
    const t = debian();
    putFiles(t.dir, {
      '/etc/modprobe.d/virtio-blk-local.conf': '# local tuning\noptions virtio_blk poll_queues=1 \\\n  queue_depth=128\n',
      '/usr/lib/modprobe.d/zz-vendor.conf': 'options virtio_blk poll_queues=0\n',
      // Same name in /etc hides the one in /usr/lib.
      '/usr/lib/modprobe.d/dkms.conf': 'options virtio_blk poll_queues=9\n',
    });
    expect(modprobeFiles(t.root())).toEqual([
      '/etc/modprobe.d/dkms.conf',
      '/etc/modprobe.d/intel-microcode-blacklist.conf',
      '/etc/modprobe.d/virtio-blk-local.conf',
      '/usr/lib/modprobe.d/zz-vendor.conf',
    ]);
    expect(modprobeSettings(t.root(), 'virtio_blk', 'poll_queues')).toEqual([
      { source: '/etc/modprobe.d/virtio-blk-local.conf', value: '1' },
      { source: '/usr/lib/modprobe.d/zz-vendor.conf', value: '0' },
    ]);
    // zz-vendor.conf is read last and says 0: nvprobe's entry is needed (and, read before it, loses: the plan says so).
    expect(setModprobeOptions(t.root(), [{ module: 'virtio_blk', param: 'poll_queues', value: '1' }])).toHaveLength(1);
    deleteFiles(t.dir, ['/usr/lib/modprobe.d/zz-vendor.conf']);
    expect(setModprobeOptions(t.root(), [{ module: 'virtio_blk', param: 'poll_queues', value: '1' }])).toEqual([]);
    expect(modprobeSettings(t.root(), 'virtio_blk', 'queue_depth')).toEqual([{ source: '/etc/modprobe.d/virtio-blk-local.conf', value: '128' }]);
  });

  it('counts the kernel command line last, as libkmod does', () => {
    const t = debian();
    putFiles(t.dir, { '/proc/cmdline': 'BOOT_IMAGE=/boot/vmlinuz root=/dev/vda1 ro virtio_blk.poll_queues=2\n' });
    expect(modprobeSettings(t.root(), 'virtio_blk', 'poll_queues').at(-1)).toEqual({ source: 'the kernel command line (/proc/cmdline)', value: '2' });
  });

  it('refuses names and values that could smuggle anything into the file', () => {
    const t = debian();
    expect(() => setModprobeOptions(t.root(), [{ module: 'virtio_blk', param: 'poll_queues', value: '1\ninstall virtio_blk /bin/sh' }])).toThrow(/refusing to persist/);
    expect(() => setModprobeOptions(t.root(), [{ module: 'virtio blk', param: 'poll_queues', value: '1' }])).toThrow(/refusing to persist module/);
  });

  it('has no regenerate step where no initramfs tool is installed', () => {
    const t = debian();
    deleteFiles(t.dir, ['/usr/sbin/update-initramfs']);
    expect(setModprobeOptions(t.root(), [{ module: 'virtio_blk', param: 'poll_queues', value: '1' }])[0]!.regenerate).toBeUndefined();
    putFiles(t.dir, { '/usr/bin/dracut': '#!/bin/sh\n' });
    expect(setModprobeOptions(t.root(), [{ module: 'virtio_blk', param: 'poll_queues', value: '1' }])[0]!.regenerate).toEqual(['/usr/bin/dracut', '-f']);
  });
});

import { describe, expect, it } from 'vitest';
import { Root } from '../../../src/host/root.js';
import { listedModules, moduleBuild } from '../../../src/knobs/persist/module-build.js';
import { fixtureRoot, KVM_FIXTURE } from '../../helpers/fixtures.js';
import { deleteFiles, putFiles, treesRemovedAfterEach } from '../../helpers/persist-root.js';

const tree = treesRemovedAfterEach();

describe('built-in or loadable', () => {
  it('reads modules.builtin and modules.dep of the running kernel (either spelling, compressed .ko)', () => {
    const debian = tree('persist-debian12-grub').root();
    expect(moduleBuild(debian, 'cpuidle_haltpoll')).toEqual({ kind: 'builtin', evidence: '/lib/modules/6.1.0-13-cloud-amd64/modules.builtin lists cpuidle_haltpoll' });
    expect(moduleBuild(debian, 'nvme_core').kind).toBe('builtin');
    expect(moduleBuild(debian, 'virtio_scsi')).toEqual({ kind: 'loadable', evidence: '/lib/modules/6.1.0-13-cloud-amd64/modules.dep lists virtio_scsi' });
    // Not built, not a module: this kernel lacks it.
    expect(moduleBuild(debian, 'haltpoll').kind).toBe('unknown');

    const fedora = tree('persist-fedora39-bls').root();
    expect(moduleBuild(fedora, 'haltpoll').kind).toBe('builtin');
    expect(moduleBuild(fedora, 'cpuidle-haltpoll')).toEqual({ kind: 'loadable', evidence: '/lib/modules/6.5.6-300.fc39.x86_64/modules.dep lists cpuidle_haltpoll' });
    expect(listedModules('kernel/drivers/block/virtio_blk.ko.zst: kernel/drivers/virtio/virtio.ko.zst\n')).toEqual(new Set(['virtio_blk']));
  });

  it('trusts /sys/module/<m>/initstate first: the module is loaded from a .ko, whatever the lists say', () => {
    const t = tree('persist-debian12-grub');
    expect(moduleBuild(t.root(), 'virtio_blk')).toEqual({ kind: 'loadable', evidence: '/sys/module/virtio_blk/initstate exists: loaded from a .ko' });
    putFiles(t.dir, { '/sys/module/nvme/initstate': 'live\n' });
    expect(moduleBuild(t.root(), 'nvme').kind).toBe('loadable');
  });

  it('without modules.builtin: /sys/module/<m> without initstate is built in; nothing at all is unknown', () => {
    // The captured KVM guest: kernel without loadable modules, no /lib/modules.
    const kvm = new Root(fixtureRoot(KVM_FIXTURE));
    expect(moduleBuild(kvm, 'haltpoll')).toEqual({ kind: 'builtin', evidence: '/sys/module/haltpoll exists without initstate: built in' });
    expect(moduleBuild(kvm, 'virtio_blk').kind).toBe('builtin');
    expect(moduleBuild(kvm, 'nvme')).toEqual({ kind: 'unknown', evidence: 'nvme is not loaded and no modules directory for the running kernel' });

    const t = tree('persist-debian12-grub');
    deleteFiles(t.dir, ['/lib/modules']);
    expect(moduleBuild(t.root(), 'cpuidle_haltpoll')).toEqual({ kind: 'builtin', evidence: '/sys/module/cpuidle_haltpoll exists without initstate: built in' });
    expect(moduleBuild(t.root(), 'virtio_blk').kind).toBe('loadable');
    expect(moduleBuild(tree(null).root(), 'virtio_blk').kind).toBe('unknown');
  });
});

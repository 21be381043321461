import { describe, expect, it } from 'vitest';
import type { PersistWrite } from '../../../src/knobs/write.js';
import { planPersistence, routeAction } from '../../../src/knobs/persist/persist-plan.js';
import { resolveAction } from '../../../src/rules/actions.js';
import type { ResolvedAction } from '../../../src/contracts/actions.js';
import { KVM_FIXTURE } from '../../helpers/fixtures.js';
import { putFiles, treesRemovedAfterEach } from '../../helpers/persist-root.js';

const tree = treesRemovedAfterEach();
const writesOf = (p: { writes: Array<{ write: PersistWrite }> }) => p.writes.map((w) => w.write);

// What rules/*.yaml resolve to, as tune would keep them.
const vda = { disk: { name: 'vda' } };
const SCHEDULER = resolveAction({ kind: 'queue-attr', attr: 'scheduler', value: 'none' }, vda);
const ADD_RANDOM = resolveAction({ kind: 'queue-attr', attr: 'add_random', value: 0 }, vda);
const POLL_QUEUES = resolveAction({ kind: 'modprobe-option', module: 'virtio_blk', param: 'poll_queues', value: 1 }, {});
const FORCE = resolveAction({ kind: 'kernel-cmdline', param: 'cpuidle_haltpoll.force', value: 1 }, {});
const HALT_POLL_NS = resolveAction({ kind: 'module-param', module: 'haltpoll', param: 'guest_halt_poll_ns', value: 200000 }, {});
const PM_QOS = resolveAction({ kind: 'pm-qos', value: 0 }, {});
const ALL: ResolvedAction[] = [SCHEDULER, ADD_RANDOM, POLL_QUEUES, FORCE, HALT_POLL_NS, PM_QOS];

describe('persistence plan', () => {
  it('Debian 12: one write per file — udev rules, nvprobe.conf, the GRUB block — and pm-qos stays runtime only', () => {
    const t = tree('persist-debian12-grub');
    const start = t.files();
    const plan = planPersistence(t.root(), ALL);
    expect(plan.writes.map((w) => [w.write.op === 'file' ? w.write.path : w.write.argv, w.targets])).toEqual([
      ['/etc/udev/rules.d/60-nvprobe.rules', ['vda:queue/scheduler', 'vda:queue/add_random']],
      ['/etc/modprobe.d/nvprobe.conf', ['modprobe:virtio_blk.poll_queues']],
      ['/etc/default/grub', ['cmdline:cpuidle_haltpoll.force', 'haltpoll.guest_halt_poll_ns']],
    ]);
    expect(plan.writes.map((w) => w.description)).toEqual([
      'udev rules in /etc/udev/rules.d/60-nvprobe.rules: vda queue/scheduler=none (matched by kernel name), vda queue/add_random=0 (matched by kernel name); then /usr/bin/udevadm control --reload',
      'options virtio_blk poll_queues=1 in /etc/modprobe.d/nvprobe.conf (used when the module is next loaded: at the next boot, or after a reload); /usr/sbin/update-initramfs -u rebuilds the initramfs so a driver loaded from it sees them',
      "add cpuidle_haltpoll.force=1 haltpoll.guest_halt_poll_ns=200000 (GRUB_CMDLINE_LINUX_DEFAULT) in nvprobe's block at the end of /etc/default/grub; /usr/sbin/update-grub regenerates the GRUB menu",
    ]);
    expect(plan.actions.map((a) => [a.target, a.route])).toEqual([
      ['vda:queue/scheduler', 'udev'],
      ['vda:queue/add_random', 'udev'],
      ['modprobe:virtio_blk.poll_queues', 'modprobe'],
      ['cmdline:cpuidle_haltpoll.force', 'kernel-cmdline'],
      ['haltpoll.guest_halt_poll_ns', 'kernel-cmdline'],
      ['cpu*/power/pm_qos_resume_latency_us', 'runtime-only'],
    ]);
    expect(plan.actions.at(-1)!.text).toBe('cpu*/power/pm_qos_resume_latency_us=0: runtime only, nothing written on disk: re-applied at boot by the nvprobe-tune service');
    expect(plan.manual).toEqual([]);

    t.apply(writesOf(plan));
    const after = t.files();
    expect(after['/etc/udev/rules.d/60-nvprobe.rules']).toBe(
      '# Managed by nvprobe: `nvprobe revert` removes this file.\n' +
        '# Queue settings kept by `nvprobe tune`, applied when a disk is added or changes;\n' +
        '# edits made here are overwritten by the next tune.\n' +
        '# disk vda: matched by kernel name; another disk gets it if disks are added or probed in another order\n' +
        'ACTION=="add|change", SUBSYSTEM=="block", KERNEL=="vda", ATTR{queue/scheduler}="none"\n' +
        'ACTION=="add|change", SUBSYSTEM=="block", KERNEL=="vda", ATTR{queue/add_random}="0"\n',
    );
    expect(after['/etc/modprobe.d/nvprobe.conf']).toBe(
      '# Managed by nvprobe: `nvprobe revert` removes this file.\n# Module options kept by `nvprobe tune`; edits made here are overwritten by the next tune.\noptions virtio_blk poll_queues=1\n',
    );
    expect(after['/etc/default/grub']).toBe(
      start['/etc/default/grub'] +
        '# BEGIN nvprobe (managed by nvprobe; `nvprobe revert` removes this block)\n' +
        'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT cpuidle_haltpoll.force=1 haltpoll.guest_halt_poll_ns=200000"\n' +
        '# END nvprobe\n',
    );
    for (const p of Object.keys(start)) if (p !== '/etc/default/grub') expect(after[p], p).toBe(start[p]);

    // A second run keeps the same actions: nothing to write.
    expect(planPersistence(t.root(), ALL).writes).toEqual([]);
  });

  it('Fedora 39: haltpoll built in goes to the kernel command line through grubby; virtio_blk loadable goes to modprobe.d with dracut', () => {
    const t = tree('persist-fedora39-bls');
    const plan = planPersistence(t.root(), [HALT_POLL_NS, POLL_QUEUES]);
    expect(routeAction(t.root(), HALT_POLL_NS)).toEqual({
      route: 'kernel-cmdline',
      param: 'haltpoll.guest_halt_poll_ns',
      why: 'haltpoll is built into the kernel (/lib/modules/6.5.6-300.fc39.x86_64/modules.builtin lists haltpoll): only the kernel command line sets its parameters at boot',
    });
    expect(plan.writes.map((w) => (w.write.op === 'command' ? w.write.argv.join(' ') : `${w.write.path} ${w.write.regenerate?.join(' ') ?? ''}`.trim()))).toEqual([
      '/etc/modprobe.d/nvprobe.conf /usr/bin/dracut -f',
      '/usr/sbin/grubby --update-kernel=ALL --args=haltpoll.guest_halt_poll_ns=200000',
      '/etc/kernel/cmdline',
      '/etc/default/grub',
    ]);
    expect(plan.writes[1]!.targets).toEqual(['haltpoll.guest_halt_poll_ns']);
    expect(plan.writes[1]!.tokens).toEqual(['haltpoll.guest_halt_poll_ns=200000']);
  });

  it('a guest like the captured KVM one (all built in, no boot loader files, no udev): exact manual steps, no writes', () => {
    const t = tree(KVM_FIXTURE);
    const plan = planPersistence(t.root(), ALL);
    expect(plan.writes).toEqual([]);
    expect(plan.manual).toEqual([
      "add `virtio_blk.poll_queues=1 cpuidle_haltpoll.force=1 haltpoll.guest_halt_poll_ns=200000` to the kernel command line in your boot loader configuration (or the VM's kernel arguments when the hypervisor boots the kernel directly); it takes effect at the next boot",
    ]);
    expect(plan.actions.slice(0, 3).map((a) => a.text)).toEqual([
      'vda:queue/scheduler=none: udev is not installed (no udevadm): a rules file would never be read',
      'vda:queue/add_random=0: udev is not installed (no udevadm): a rules file would never be read',
      'modprobe:virtio_blk.poll_queues=1: virtio_blk is built into the kernel (/sys/module/virtio_blk exists without initstate: built in): only the kernel command line sets its parameters at boot',
    ]);
  });

  it('a loadable module whose parameter the kernel command line already sets goes there (libkmod applies it after modprobe.d)', () => {
    const t = tree('persist-debian12-grub');
    putFiles(t.dir, { '/proc/cmdline': 'BOOT_IMAGE=/boot/vmlinuz-6.1.0-13-cloud-amd64 root=/dev/vda1 ro virtio_blk.poll_queues=0\n' });
    expect(routeAction(t.root(), POLL_QUEUES)).toMatchObject({ route: 'kernel-cmdline', param: 'virtio_blk.poll_queues' });
  });

  it('says when another modprobe.d file read later overrides nvprobe.conf', () => {
    const t = tree('persist-debian12-grub');
    putFiles(t.dir, { '/etc/modprobe.d/virtio.conf': 'options virtio_blk poll_queues=0\n' });
    expect(planPersistence(t.root(), [POLL_QUEUES]).notes).toEqual(['/etc/modprobe.d/virtio.conf sets virtio_blk poll_queues=0 and is read after /etc/modprobe.d/nvprobe.conf: its value wins']);
    // The user's file says the same already: nothing to write, and the plan says why.
    putFiles(t.dir, { '/etc/modprobe.d/virtio.conf': 'options virtio_blk poll_queues=1\n' });
    const same = planPersistence(t.root(), [POLL_QUEUES]);
    expect(same.writes).toEqual([]);
    expect(same.notes).toEqual(['/etc/modprobe.d/virtio.conf already gives virtio_blk poll_queues=1: nothing to add']);
  });
});

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastValue } from '../../../src/knobs/persist/cmdline-tokens.js';
import type { PersistWrite } from '../../../src/knobs/write.js';
import { evaluateGrubCmdline, grubCmdline } from '../../../src/knobs/persist/grub-defaults.js';
import { detectCmdlineMechanism, planKernelParams } from '../../../src/knobs/persist/kernel-cmdline.js';
import { deleteFiles, putFiles, treesRemovedAfterEach, type PersistTree } from '../../helpers/persist-root.js';

const tree = treesRemovedAfterEach();
const writesOf = (p: { changes: Array<{ write: PersistWrite }> }) => p.changes.map((c) => c.write);
const FORCE = { param: 'cpuidle_haltpoll.force', value: 1 };
const POLL = { param: 'virtio_blk.poll_queues', value: 1 };
const BLOCK = (tokens: string) =>
  '# BEGIN nvprobe (managed by nvprobe; `nvprobe revert` removes this block)\n' + `GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT ${tokens}"\n` + '# END nvprobe\n';

const MID = '8f3c2b1a9e7d4c6b5a4f3e2d1c0b9a87';
const ENTRY = `/boot/loader/entries/${MID}-6.5.6-300.fc39.x86_64.conf`;
const RESCUE = `/boot/loader/entries/${MID}-0-rescue.conf`;
const FEDORA_OPTS = 'root=UUID=3e8b5f21-9c4d-4a7e-b6f1-2d0c8a9e7b54 ro rootflags=subvol=root rhgb quiet';

/**
 * grubby cannot run here (it edits the live /boot): this does what grubby-bls's update_args does
 * to every entry for `--update-kernel=ALL` (or the entry whose kernel has that file name):
 * --args=k=v drops every k and appends k=v; --remove-args=k=v drops that exact word, k any k.
 */
function fakeGrubby(dir: string, argv: string[]): void {
  const target = argv.find((a) => a.startsWith('--update-kernel='))!.slice('--update-kernel='.length);
  const entries = join(dir, 'boot/loader/entries');
  for (const name of readdirSync(entries)) {
    const file = join(entries, name);
    const text = readFileSync(file, 'utf8');
    const kernel = /^linux (\S+)/m.exec(text)![1]!;
    if (target !== 'ALL' && `/${target.split('/').pop()}` !== kernel) continue;
    const edited = text.replace(/^options (.*)$/m, (_, opts: string) => {
      let words = opts.split(' ');
      for (const a of argv) {
        if (a.startsWith('--remove-args=')) {
          const r = a.slice('--remove-args='.length);
          words = words.filter((w) => (r.includes('=') ? w !== r : w !== r && !w.startsWith(`${r}=`)));
        }
        if (a.startsWith('--args=')) {
          const add = a.slice('--args='.length);
          const name = add.split('=')[0]!;
          words = [...words.filter((w) => w !== name && !w.startsWith(`${name}=`)), add];
        }
      }
      return `options ${words.join(' ')}`;
    });
    writeFileSync(file, edited);
  }
}

describe('which mechanism', () => {
  it('grubby, then boot entries, then /etc/kernel/cmdline, then GRUB defaults, else manual', () => {
    expect(detectCmdlineMechanism(tree('persist-fedora39-bls').root())).toMatchObject({
      kind: 'grubby',
      grubby: '/usr/sbin/grubby',
      kernelCmdline: true,
      grubDefaults: 'block',
      grubDefaultsSecondary: true,
    });
    const noGrubby = tree('persist-fedora39-bls');
    deleteFiles(noGrubby.dir, ['/usr/sbin/grubby']);
    expect(detectCmdlineMechanism(noGrubby.root())).toMatchObject({ kind: 'boot-entries', entries: { dir: '/boot/loader/entries', files: [RESCUE, ENTRY] } });
    expect(detectCmdlineMechanism(tree('persist-uki-kernel-install').root()).kind).toBe('kernel-install');
    expect(detectCmdlineMechanism(tree('persist-debian12-grub').root())).toMatchObject({ kind: 'grub', grubDefaults: 'block', grubDefaultsSecondary: false });
    expect(detectCmdlineMechanism(tree('persist-ubuntu-cloudimg').root())).toMatchObject({ kind: 'grub', grubDefaults: 'dropin' });
    expect(detectCmdlineMechanism(tree(null).root()).kind).toBe('manual');
  });
});

describe("/etc/default/grub (Debian 12): nvprobe's block", () => {
  it("appends the block, leaves the user's lines alone, and regenerates with update-grub", () => {
    const t = tree('persist-debian12-grub');
    const original = t.read('/etc/default/grub')!;
    const p = planKernelParams(t.root(), [FORCE, POLL]);
    expect(p.mechanism).toBe('grub');
    expect(p.notes).toEqual([]);
    expect(p.changes).toEqual([
      {
        write: { op: 'file', path: '/etc/default/grub', content: original + BLOCK('cpuidle_haltpoll.force=1 virtio_blk.poll_queues=1'), mode: 0o644, regenerate: ['/usr/sbin/update-grub'] },
        description:
          "add cpuidle_haltpoll.force=1 virtio_blk.poll_queues=1 (GRUB_CMDLINE_LINUX_DEFAULT) in nvprobe's block at the end of /etc/default/grub; /usr/sbin/update-grub regenerates the GRUB menu",
        tokens: ['cpuidle_haltpoll.force=1', 'virtio_blk.poll_queues=1'],
      },
    ]);
    t.apply(writesOf(p));
    expect(lastValue(grubCmdline(t.root()).cmdline, 'virtio_blk.poll_queues')).toBe('1');
    // Again: nothing to do.
    expect(planKernelParams(t.root(), [POLL, FORCE])).toEqual({ mechanism: 'grub', changes: [], notes: [], manual: null });
  });

  it('replaces its own value in place', () => {
    const t = tree('persist-debian12-grub');
    t.apply(writesOf(planKernelParams(t.root(), [FORCE, POLL])));
    const change = planKernelParams(t.root(), [{ param: 'virtio_blk.poll_queues', value: 2 }]);
    expect(change.changes.map((c) => c.tokens)).toEqual([['virtio_blk.poll_queues=2']]);
    t.apply(writesOf(change));
    expect(t.read('/etc/default/grub')!.endsWith(BLOCK('cpuidle_haltpoll.force=1 virtio_blk.poll_queues=2'))).toBe(true);
  });

  it('adds nothing when the user already has the value; says that its own comes later when the user has another', () => {
    const t = tree('persist-debian12-grub');
    const grub = t.read('/etc/default/grub')!;
    putFiles(t.dir, { '/etc/default/grub': grub.replace('GRUB_CMDLINE_LINUX_DEFAULT="quiet"', 'GRUB_CMDLINE_LINUX_DEFAULT="quiet cpuidle_haltpoll.force=1"') });
    expect(planKernelParams(t.root(), [FORCE])).toEqual({ mechanism: 'grub', changes: [], notes: ["GRUB's defaults already give cpuidle_haltpoll.force=1: nothing to add"], manual: null });

    putFiles(t.dir, { '/etc/default/grub': grub.replace('GRUB_CMDLINE_LINUX=""', 'GRUB_CMDLINE_LINUX="cpuidle_haltpoll.force=0"') });
    const p = planKernelParams(t.root(), [FORCE]);
    expect(p.notes).toEqual(["GRUB's defaults set cpuidle_haltpoll.force=0; nvprobe's cpuidle_haltpoll.force=1 comes later on the command line, and the last one wins"]);
    t.apply(writesOf(p));
    expect(grubCmdline(t.root()).cmdline).toBe('cpuidle_haltpoll.force=0 quiet cpuidle_haltpoll.force=1');
  });

  it('falls back to grub-mkconfig onto the grub.cfg that exists, then to telling the user', () => {
    const t = tree('persist-debian12-grub');
    deleteFiles(t.dir, ['/usr/sbin/update-grub']);
    expect(planKernelParams(t.root(), [FORCE]).changes[0]!.write).toMatchObject({ regenerate: ['/usr/sbin/grub-mkconfig', '-o', '/boot/grub/grub.cfg'] });
    deleteFiles(t.dir, ['/usr/sbin/grub-mkconfig']);
    const p = planKernelParams(t.root(), [FORCE]);
    expect(p.changes[0]!.write).not.toHaveProperty('regenerate');
    expect(p.notes).toEqual(['no update-grub or grub-mkconfig found: regenerate the GRUB configuration yourself for this to take effect']);
  });

  it('warns when the running kernel was not started by GRUB', () => {
    const t = tree('persist-debian12-grub');
    putFiles(t.dir, { '/proc/cmdline': 'console=ttyS0 reboot=k panic=1 root=/dev/vda\n' });
    expect(planKernelParams(t.root(), [FORCE]).notes).toEqual(['the running kernel was not started by GRUB (no BOOT_IMAGE= in /proc/cmdline): check that this system really boots through GRUB']);
  });
});

describe("/etc/default/grub.d (Ubuntu cloud image): nvprobe's own drop-in", () => {
  it('writes 60-nvprobe.cfg, which survives 50-cloudimg-settings.cfg, where a block in /etc/default/grub would not', () => {
    const t = tree('persist-ubuntu-cloudimg');
    const start = t.files();
    const p = planKernelParams(t.root(), [FORCE]);
    expect(writesOf(p)).toEqual([
      {
        op: 'file',
        path: '/etc/default/grub.d/60-nvprobe.cfg',
        content: '# Managed by nvprobe: `nvprobe revert` removes this file.\nGRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT cpuidle_haltpoll.force=1"\n',
        mode: 0o644,
        regenerate: ['/usr/sbin/update-grub'],
      },
    ]);
    t.apply(writesOf(p));
    expect(grubCmdline(t.root()).cmdline).toBe(' console=tty1 console=ttyS0 nvme_core.io_timeout=4294967295 cpuidle_haltpoll.force=1');
    // The same line as a block at the end of /etc/default/grub: 50-cloudimg-settings.cfg wipes it.
    const cloudimg = start['/etc/default/grub.d/50-cloudimg-settings.cfg']!;
    const asBlock = evaluateGrubCmdline([
      { path: '/etc/default/grub', text: start['/etc/default/grub'] + BLOCK('cpuidle_haltpoll.force=1') },
      { path: '/etc/default/grub.d/50-cloudimg-settings.cfg', text: cloudimg },
    ]);
    expect(lastValue(asBlock.cmdline, 'cpuidle_haltpoll.force')).toBeUndefined();

    expect(planKernelParams(t.root(), [FORCE]).changes).toEqual([]);
  });

  it("says so when a file sorted after nvprobe's assigns the variable outright", () => {
    const t = tree('persist-ubuntu-cloudimg');
    putFiles(t.dir, { '/etc/default/grub.d/99-site.cfg': 'GRUB_CMDLINE_LINUX_DEFAULT="console=ttyS0"\n' });
    expect(planKernelParams(t.root(), [FORCE]).notes).toEqual([
      '/etc/default/grub.d/99-site.cfg assigns GRUB_CMDLINE_LINUX_DEFAULT without keeping its earlier value: cpuidle_haltpoll.force=1 will not reach the kernel until that file appends instead',
    ]);
  });
});

describe('grubby (Fedora 39)', () => {
  it("runs grubby for every entry, journals the files it touches, and edits the files that build later kernels' entries", () => {
    const t = tree('persist-fedora39-bls');
    const start = t.files();
    const p = planKernelParams(t.root(), [FORCE]);
    expect(p.mechanism).toBe('grubby');
    expect(p.changes).toEqual([
      {
        write: {
          op: 'command',
          argv: ['/usr/sbin/grubby', '--update-kernel=ALL', '--args=cpuidle_haltpoll.force=1'],
          touches: [RESCUE, ENTRY, '/boot/grub2/grubenv'],
        },
        description: 'add cpuidle_haltpoll.force=1 to every boot entry with grubby',
        tokens: ['cpuidle_haltpoll.force=1'],
      },
      {
        write: { op: 'file', path: '/etc/kernel/cmdline', content: `${FEDORA_OPTS} cpuidle_haltpoll.force=1\n` },
        description: 'add cpuidle_haltpoll.force=1 in /etc/kernel/cmdline (kernel-install builds the boot entries of kernels installed later from it)',
        tokens: ['cpuidle_haltpoll.force=1'],
      },
      {
        write: { op: 'file', path: '/etc/default/grub', content: start['/etc/default/grub'] + BLOCK('cpuidle_haltpoll.force=1'), mode: 0o644 },
        description: "add cpuidle_haltpoll.force=1 (GRUB_CMDLINE_LINUX_DEFAULT) in nvprobe's block at the end of /etc/default/grub (grub2-mkconfig may rebuild the boot entries from it)",
        tokens: ['cpuidle_haltpoll.force=1'],
      },
    ]);
    for (const argv of t.apply(writesOf(p))) fakeGrubby(t.dir, argv);
    expect(t.read(ENTRY)).toContain(`options ${FEDORA_OPTS} cpuidle_haltpoll.force=1\n`);
    expect(planKernelParams(t.root(), [FORCE]).changes).toEqual([]);
  });

  it("says grubby replaces the user's value when the entries had different values", () => {
    const t = tree('persist-fedora39-bls');
    putFiles(t.dir, { [RESCUE]: t.read(RESCUE)!.replace(FEDORA_OPTS, `${FEDORA_OPTS} cpuidle_haltpoll.force=0`) });
    const p = planKernelParams(t.root(), [FORCE]);
    const grubby = p.changes[0]!.write;
    expect(grubby).toMatchObject({
      argv: ['/usr/sbin/grubby', '--update-kernel=ALL', '--args=cpuidle_haltpoll.force=1'],
    });
    expect(p.notes).toEqual(['grubby replaces cpuidle_haltpoll.force=0 in 1 boot entry (revert puts it back)']);
  });

  it('expands $kernelopts (RHEL 8 entries) before deciding, and runs nothing when every entry has the value', () => {
    const t = tree('persist-fedora39-bls');
    deleteFiles(t.dir, ['/etc/kernel/cmdline']);
    putFiles(t.dir, {
      [ENTRY]: t.read(ENTRY)!.replace(`options ${FEDORA_OPTS}`, 'options $kernelopts'),
      [RESCUE]: t.read(RESCUE)!.replace(`options ${FEDORA_OPTS}`, 'options $kernelopts'),
      '/boot/grub2/grubenv': `# GRUB Environment Block\nkernelopts=${FEDORA_OPTS} cpuidle_haltpoll.force=1\n${'#'.repeat(900)}`,
      '/etc/default/grub': t.read('/etc/default/grub')!.replace('GRUB_CMDLINE_LINUX="rhgb quiet"', 'GRUB_CMDLINE_LINUX="rhgb quiet cpuidle_haltpoll.force=1"'),
    });
    expect(planKernelParams(t.root(), [FORCE])).toEqual({
      mechanism: 'grubby',
      changes: [],
      notes: ['every boot entry already has cpuidle_haltpoll.force=1: nothing to add', "GRUB's defaults already give cpuidle_haltpoll.force=1: nothing to add"],
      manual: null,
    });
  });
});

describe('boot loader entries without grubby', () => {
  function fedoraWithoutGrubby(): PersistTree {
    const t = tree('persist-fedora39-bls');
    deleteFiles(t.dir, ['/usr/sbin/grubby']);
    return t;
  }

  it("appends to every entry's options, the rescue entry too", () => {
    const t = fedoraWithoutGrubby();
    const start = t.files();
    const p = planKernelParams(t.root(), [FORCE, POLL]);
    expect(p.mechanism).toBe('boot-entries');
    expect(p.changes.map((c) => (c.write.op === 'command' ? c.write.argv[0] : c.write.path))).toEqual([RESCUE, ENTRY, '/etc/kernel/cmdline', '/etc/default/grub']);
    expect(p.changes[1]!.write).toEqual({ op: 'file', path: ENTRY, content: start[ENTRY]!.replace(FEDORA_OPTS, `${FEDORA_OPTS} cpuidle_haltpoll.force=1 virtio_blk.poll_queues=1`) });
    t.apply(writesOf(p));
    expect(planKernelParams(t.root(), [FORCE, POLL]).changes).toEqual([]);
  });

  it("puts its value after a different one of the user's, and replaces its own earlier value instead of piling up", () => {
    const t = fedoraWithoutGrubby();
    putFiles(t.dir, { [ENTRY]: t.read(ENTRY)!.replace(FEDORA_OPTS, `${FEDORA_OPTS} virtio_blk.poll_queues=0`) });
    const p = planKernelParams(t.root(), [POLL]);
    expect(p.notes).toContain(`${ENTRY} sets virtio_blk.poll_queues=0; nvprobe's virtio_blk.poll_queues=1 comes later on the command line, and the last one wins`);
    t.apply(writesOf(p));
    expect(t.read(ENTRY)).toContain(`options ${FEDORA_OPTS} virtio_blk.poll_queues=0 virtio_blk.poll_queues=1\n`);
    t.apply(writesOf(planKernelParams(t.root(), [{ param: 'virtio_blk.poll_queues', value: 2, replaces: 1 }])));
    expect(t.read(ENTRY)).toContain(`options ${FEDORA_OPTS} virtio_blk.poll_queues=0 virtio_blk.poll_queues=2\n`);
    expect(t.read(RESCUE)).toContain(`options ${FEDORA_OPTS} virtio_blk.poll_queues=2\n`);
  });
});

describe('/etc/kernel/cmdline alone (systemd-boot, unified kernel images)', () => {
  it("edits the file and rebuilds the running kernel's image with kernel-install", () => {
    const t = tree('persist-uki-kernel-install');
    const p = planKernelParams(t.root(), [POLL]);
    expect(p).toEqual({
      mechanism: 'kernel-install',
      changes: [
        {
          write: {
            op: 'file',
            path: '/etc/kernel/cmdline',
            content: 'root=UUID=6a1d0f3e-2b7c-4e98-a5d4-0c9f8e7b6a51 rw quiet virtio_blk.poll_queues=1\n',
            regenerate: ['/usr/bin/kernel-install', 'add', '6.6.8-arch1-1', '/usr/lib/modules/6.6.8-arch1-1/vmlinuz'],
          },
          description:
            "add virtio_blk.poll_queues=1 in /etc/kernel/cmdline; /usr/bin/kernel-install add 6.6.8-arch1-1 /usr/lib/modules/6.6.8-arch1-1/vmlinuz rebuilds the running kernel's boot entry from it",
          tokens: ['virtio_blk.poll_queues=1'],
        },
      ],
      notes: [],
      manual: null,
    });
  });

  it("keeps init's arguments after `--` where they are", () => {
    const t = tree('persist-uki-kernel-install');
    putFiles(t.dir, { '/etc/kernel/cmdline': 'root=/dev/vda2 rw -- --log-level=debug\n' });
    expect(writesOf(planKernelParams(t.root(), [POLL]))[0]).toMatchObject({ content: 'root=/dev/vda2 rw virtio_blk.poll_queues=1 -- --log-level=debug\n' });
  });

  it('adds nothing when the user had set the value', () => {
    const t = tree('persist-uki-kernel-install');
    putFiles(t.dir, { '/etc/kernel/cmdline': 'root=/dev/vda2 rw virtio_blk.poll_queues=1\n' });
    const p = planKernelParams(t.root(), [POLL]);
    expect(p.changes).toEqual([]);
    expect(p.notes).toEqual(['/etc/kernel/cmdline already has virtio_blk.poll_queues=1: nothing to add']);
  });

  it('tells the user to rebuild the image when kernel-install or the kernel image is missing', () => {
    const t = tree('persist-uki-kernel-install');
    deleteFiles(t.dir, ['/usr/lib/modules']);
    const p = planKernelParams(t.root(), [POLL]);
    expect(p.changes[0]!.write).not.toHaveProperty('regenerate');
    expect(p.notes).toEqual([
      "/etc/kernel/cmdline is read when a boot entry or unified kernel image is generated, and kernel-install or the running kernel's image was not found: run `kernel-install add $(uname -r) <image>` (or your UKI build) for it to take effect",
    ]);
  });
});

describe('nothing to edit', () => {
  it('gives the exact instruction instead', () => {
    const t = tree(null);
    expect(planKernelParams(t.root(), [FORCE, POLL])).toEqual({
      mechanism: 'manual',
      changes: [],
      notes: ['no grubby, boot loader entries, /etc/kernel/cmdline or /etc/default/grub found: nvprobe cannot make this permanent itself'],
      manual:
        "add `cpuidle_haltpoll.force=1 virtio_blk.poll_queues=1` to the kernel command line in your boot loader configuration (or the VM's kernel arguments when the hypervisor boots the kernel directly); it takes effect at the next boot",
    });
  });

  it("refuses anything the shell sourcing GRUB's defaults would run", () => {
    const t = tree('persist-debian12-grub');
    expect(() => planKernelParams(t.root(), [{ param: 'cpuidle.governor', value: 'haltpoll$(reboot)' }])).toThrow(/refusing to persist/);
    expect(() => planKernelParams(t.root(), [{ param: 'a"b', value: 1 }])).toThrow(/refusing to persist kernel parameter/);
  });
});

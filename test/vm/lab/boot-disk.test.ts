import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { type BootLayout, checkBootDisk, createBootDisk, readBootConfig, readBootDiskFile } from './boot-disk.js';
import { hasTool, runTool } from './run-tool.js';

// The lab's boot loader on images made here (no guest): what it boots for each layout, after the
// edits nvprobe's persist code makes (an entry's options, GRUB's block or drop-in).
const RELEASE = '6.1.0-99-cloud-amd64';
const LINE = 'console=ttyS0 panic=-1 quiet nvp.wait=vda,nvme0n1 nvp.idle=300';
const dir = mkdtempSync(join(tmpdir(), 'nvprobe-boot-disk-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function disk(layout: BootLayout): Promise<string> {
  const img = join(dir, `boot${n++}.img`);
  await createBootDisk(img, layout, LINE, RELEASE);
  return img;
}

/** Replace (or create) a file in the image, as the guest would have. */
async function put(img: string, guestPath: string, content: string): Promise<void> {
  const local = join(dir, 'put.tmp');
  writeFileSync(local, content);
  const cmds = join(dir, 'put.cmds');
  // debugfs's mkdir of an existing directory breaks the file system (e2fsck says so): only when absent.
  const parentMissing = /File not found/.test(spawnSync('debugfs', ['-R', `stat ${dirname(guestPath)}`, img], { encoding: 'utf8' }).stderr);
  writeFileSync(cmds, `${parentMissing ? `mkdir ${dirname(guestPath)}\n` : ''}rm ${guestPath}\nwrite ${local} ${guestPath}\n`); // rm of an absent file only complains
  await runTool('debugfs', ['-w', '-f', cmds, img]);
  expect(readBootDiskFile(img, guestPath)?.toString()).toBe(content);
}

describe.skipIf(!hasTool('mkfs.ext4') || !hasTool('debugfs'))('lab boot loader (boot-disk.ts)', () => {
  test('kernel-install: /etc/kernel/cmdline, blanks and line breaks collapsed', async () => {
    const img = await disk('kernel-install');
    expect(await readBootConfig(img, RELEASE)).toEqual({ source: '/etc/kernel/cmdline', cmdline: LINE });
    await put(img, '/etc/kernel/cmdline', `  ${LINE}\n nvme.poll_queues=1\n`);
    expect((await readBootConfig(img, RELEASE)).cmdline).toBe(`${LINE} nvme.poll_queues=1`);
    expect(readBootDiskFile(img, '/etc/kernel/absent')).toBeNull();
    checkBootDisk(img);
  });

  test("bls: the entry's options lines win over /etc/kernel/cmdline; two entries are refused", async () => {
    const img = await disk('bls');
    const entry = `/boot/loader/entries/nvprobe-lab-${RELEASE}.conf`;
    expect(await readBootConfig(img, RELEASE)).toEqual({ source: entry, cmdline: LINE });
    await put(img, '/etc/kernel/cmdline', 'not this\n');
    await put(img, entry, `title t\nlinux /vmlinuz\noptions ${LINE} virtio_blk.poll_queues=1\noptions nvme.poll_queues=1\n`);
    expect(await readBootConfig(img, RELEASE)).toEqual({ source: entry, cmdline: `${LINE} virtio_blk.poll_queues=1 nvme.poll_queues=1` });
    await put(img, '/boot/loader/entries/other.conf', 'options x\n');
    await expect(readBootConfig(img, RELEASE)).rejects.toThrow(/2 BLS entries/);
    checkBootDisk(img);
  });

  test("grub: GRUB_CMDLINE_LINUX then _DEFAULT, BOOT_IMAGE first; nvprobe's block and drop-in are sourced", async () => {
    const img = await disk('grub');
    const boot = `BOOT_IMAGE=/boot/vmlinuz-${RELEASE}`;
    expect(await readBootConfig(img, RELEASE)).toEqual({ source: '/etc/default/grub', cmdline: `${boot} ${LINE}` });
    const base = readBootDiskFile(img, '/etc/default/grub')!.toString();
    const block = '# BEGIN nvprobe\nGRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT nvme.poll_queues=1"\n# END nvprobe\n';
    await put(img, '/etc/default/grub', base + block);
    expect((await readBootConfig(img, RELEASE)).cmdline).toBe(`${boot} ${LINE} nvme.poll_queues=1`);
    await put(img, '/etc/default/grub', `${base}GRUB_CMDLINE_LINUX_DEFAULT="$(cat /x)"\n`);
    await expect(readBootConfig(img, RELEASE)).rejects.toThrow(/does not understand/);

    const d = await disk('grub.d');
    await put(d, '/etc/default/grub.d/60-nvprobe.cfg', '# Managed by nvprobe\nGRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT} virtio_blk.poll_queues=1"\n');
    expect(await readBootConfig(d, RELEASE)).toEqual({ source: '/etc/default/grub /etc/default/grub.d/60-nvprobe.cfg', cmdline: `${boot} ${LINE} virtio_blk.poll_queues=1` });
  });

  test('a disk with no boot configuration boots nothing', async () => {
    const img = await disk('kernel-install');
    await runTool('debugfs', ['-w', '-R', 'rm /etc/kernel/cmdline', img]);
    await expect(readBootConfig(img, RELEASE)).rejects.toThrow(/nothing to boot with/);
  });
});

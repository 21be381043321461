import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from './run-tool.js';

/**
 * The guest's persistent "boot disk": a small ext4 image (made on the host with mkfs.ext4 -d, no
 * mount) holding the guest's /etc, /boot and /var/lib/nvprobe. The guest's /init finds it by its
 * virtio serial and bind-mounts those three directories, so /etc/kernel/cmdline & co. are real
 * files on a disk that outlives a reboot. Between boots the harness reads the kernel command line
 * back from the image with debugfs, as a boot loader would, and boots with it.
 *
 * No journal: the guest's reboot is `sync; reboot -f` (nothing unmounts), and a journaled file
 * system would leave committed but uncheckpointed metadata that debugfs (like GRUB) does not replay.
 */
export const BOOT_DISK_SERIAL = 'nvp-boot';
export const BOOT_DISK_DIRS = ['/etc', '/boot', '/var/lib/nvprobe'] as const;

/**
 * Where the boot configuration keeps the kernel command line, as nvprobe's persist code detects it:
 * - `kernel-install`: /etc/kernel/cmdline alone (systemd-boot / UKI through kernel-install);
 * - `bls`: one Boot Loader Specification entry in /boot/loader/entries (its `options`);
 * - `grub`: /etc/default/grub (GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT);
 * - `grub.d`: the same plus an /etc/default/grub.d directory (Debian, Ubuntu).
 */
export type BootLayout = 'kernel-install' | 'bls' | 'grub' | 'grub.d';

export const KERNEL_CMDLINE = '/etc/kernel/cmdline';
export const BLS_DIR = '/boot/loader/entries';
export const GRUB_DEFAULTS = '/etc/default/grub';
export const GRUB_DROPINS = '/etc/default/grub.d';

/** Create the boot disk image `file` (`sizeMiB`) for this layout with `cmdline` as its command line. */
export async function createBootDisk(file: string, layout: BootLayout, cmdline: string, kernelRelease: string, sizeMiB = 16): Promise<void> {
  const stage = mkdtempSync(join(tmpdir(), 'nvprobe-boot-disk-'));
  try {
    for (const d of BOOT_DISK_DIRS) mkdirSync(join(stage, d), { recursive: true });
    const put = (path: string, text: string) => {
      mkdirSync(join(stage, path, '..'), { recursive: true });
      writeFileSync(join(stage, path), text);
    };
    switch (layout) {
      case 'kernel-install':
        put(KERNEL_CMDLINE, `${cmdline}\n`);
        break;
      case 'bls':
        put(`${BLS_DIR}/nvprobe-lab-${kernelRelease}.conf`, `title nvprobe lab\nversion ${kernelRelease}\nlinux /vmlinuz-${kernelRelease}\ninitrd /initrd.img-${kernelRelease}\noptions ${cmdline}\n`);
        break;
      case 'grub':
      case 'grub.d':
        put(GRUB_DEFAULTS, `GRUB_DEFAULT=0\nGRUB_TIMEOUT=0\nGRUB_CMDLINE_LINUX_DEFAULT=""\nGRUB_CMDLINE_LINUX="${cmdline}"\n`);
        if (layout === 'grub.d') mkdirSync(join(stage, GRUB_DROPINS), { recursive: true });
        break;
    }
    await runTool('mkfs.ext4', ['-q', '-F', '-O', '^has_journal', '-L', BOOT_DISK_SERIAL, '-d', stage, file, `${sizeMiB}M`]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** What the harness's boot loader found on the boot disk. */
export interface BootConfig {
  /** The file it took the command line from (a guest path). */
  source: string;
  cmdline: string;
}

/**
 * Act as the boot loader: the command line the next boot gets, read from the image on the host.
 * Precedence as nvprobe's detection (and a real machine): a BLS entry (exactly one), else
 * /etc/kernel/cmdline, else GRUB's defaults (whose command line GRUB prefixes with BOOT_IMAGE=).
 * Throws when the disk holds none of them or something this reader does not understand.
 */
export async function readBootConfig(file: string, kernelRelease: string): Promise<BootConfig> {
  const dump = mkdtempSync(join(tmpdir(), 'nvprobe-boot-read-'));
  try {
    await runTool('debugfs', ['-R', `rdump /etc /boot ${dump}`, file]);
    const local = (p: string) => join(dump, p);
    const entriesDir = local(BLS_DIR);
    const entries = existsSync(entriesDir)
      ? readdirSync(entriesDir)
          .filter((n) => n.endsWith('.conf'))
          .sort()
      : [];
    if (entries.length > 1) throw new Error(`boot disk has ${entries.length} BLS entries (${entries.join(', ')}): the lab's boot loader boots exactly one`);
    if (entries.length === 1) {
      const source = `${BLS_DIR}/${entries[0]}`;
      const options = readFileSync(local(source), 'utf8')
        .split('\n')
        .map((l) => /^options(?:[ \t]+(.*))?$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => m[1] ?? '');
      if (options.length === 0) throw new Error(`${source} has no options line`);
      const cmdline = words(options.join(' '));
      if (cmdline.includes('$')) throw new Error(`${source}: options with variables are not understood here: ${cmdline}`);
      return { source, cmdline };
    }
    if (existsSync(local(KERNEL_CMDLINE)) && statSync(local(KERNEL_CMDLINE)).isFile()) {
      return { source: KERNEL_CMDLINE, cmdline: words(readFileSync(local(KERNEL_CMDLINE), 'utf8')) };
    }
    if (existsSync(local(GRUB_DEFAULTS))) {
      const files = [GRUB_DEFAULTS];
      if (existsSync(local(GRUB_DROPINS))) {
        files.push(
          ...readdirSync(local(GRUB_DROPINS))
            .filter((n) => n.endsWith('.cfg'))
            .sort()
            .map((n) => `${GRUB_DROPINS}/${n}`),
        );
      }
      const vars = { GRUB_CMDLINE_LINUX: '', GRUB_CMDLINE_LINUX_DEFAULT: '' };
      for (const f of files) sourceGrubFile(f, readFileSync(local(f), 'utf8'), vars);
      return { source: files.join(' '), cmdline: words(`BOOT_IMAGE=/boot/vmlinuz-${kernelRelease} ${vars.GRUB_CMDLINE_LINUX} ${vars.GRUB_CMDLINE_LINUX_DEFAULT}`) };
    }
    throw new Error(`boot disk has no BLS entry, ${KERNEL_CMDLINE} or ${GRUB_DEFAULTS}: nothing to boot with`);
  } finally {
    rmSync(dump, { recursive: true, force: true });
  }
}

/** The bytes of one file on the boot disk (a guest path), or null when it does not exist. */
export function readBootDiskFile(file: string, guestPath: string): Buffer | null {
  const r = spawnSync('debugfs', ['-R', `cat ${guestPath}`, file], { maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`debugfs cat ${guestPath} failed: ${r.stderr}`);
  if (/File not found by ext2_lookup/.test(String(r.stderr))) return null;
  return r.stdout;
}

/**
 * e2fsck -p, as a boot's initramfs would: the guest never unmounts the disk cleanly. Exit 0 or 1
 * (errors fixed) is fine; anything else means the guest left a broken file system.
 */
export function checkBootDisk(file: string): void {
  const r = spawnSync('e2fsck', ['-p', '-f', file], { encoding: 'utf8' });
  if (r.error) throw new Error(`e2fsck: ${r.error.message}`);
  if (r.status !== 0 && r.status !== 1) throw new Error(`e2fsck -p of the boot disk exited with ${r.status}: ${r.stdout}${r.stderr}`);
}

/** Blank-separated words: what a boot loader makes of a multi-line or padded command line. */
function words(text: string): string {
  return text.split(/\s+/).filter(Boolean).join(' ');
}

/**
 * The assignments to GRUB_CMDLINE_LINUX(_DEFAULT) in one defaults file, as `sh` sourcing it would
 * make them (grub-mkconfig sources these files): `VAR="..."`, `VAR='...'`, `VAR=word`, with $VAR
 * and ${VAR} of the two variables. Anything else touching them (command substitution, other
 * variables) is refused rather than guessed: the lab's boot loader must not boot a guessed line.
 */
function sourceGrubFile(path: string, text: string, vars: Record<string, string>): void {
  for (const line of text.replace(/\\\n/g, '').split('\n')) {
    const m = /^\s*(?:export\s+)?(GRUB_CMDLINE_LINUX(?:_DEFAULT)?)=(.*)$/.exec(line);
    if (!m) continue;
    const fail = () => new Error(`${path}: the lab's boot loader does not understand ${JSON.stringify(line)}`);
    const rhs = m[2]!;
    let out = '';
    let i = 0;
    const expand = (s: string) =>
      s.replace(/\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))|[`$\\]/g, (_whole, a?: string, b?: string) => {
        const name = a ?? b;
        if (name === undefined || !(name in vars)) throw fail();
        return vars[name]!;
      });
    while (i < rhs.length && !/\s/.test(rhs[i]!)) {
      if (rhs[i] === '"') {
        const close = rhs.indexOf('"', i + 1);
        if (close < 0) throw fail();
        out += expand(rhs.slice(i + 1, close));
        i = close + 1;
      } else if (rhs[i] === "'") {
        const close = rhs.indexOf("'", i + 1);
        if (close < 0) throw fail();
        out += rhs.slice(i + 1, close);
        i = close + 1;
      } else {
        const end = rhs.slice(i).search(/["'\s]/);
        const part = end < 0 ? rhs.slice(i) : rhs.slice(i, i + end);
        out += expand(part);
        i += part.length;
      }
    }
    if (!/^\s*(#.*)?$/.test(rhs.slice(i))) throw fail();
    vars[m[1]!] = out;
  }
}

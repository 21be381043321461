import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../vm/lab/repo-paths.js';
import { runTool } from '../../vm/lab/run-tool.js';

/**
 * A Debian 13 (trixie) system as a bootable raw disk: built from Debian's packages with mmdebstrap,
 * GRUB installed on the disk's MBR by the guest itself, so that `update-grub` in the guest decides
 * the next boot's command line as on any BIOS-booted Debian VM. Cached in test/deploy/.cache/,
 * keyed on the recipe and on the trixie package index it was built from (any package's new version
 * changes the index and so rebuilds). Built as root (mmdebstrap's root mode, mkfs.ext4 -d).
 */
export interface DebianImage {
  /** The raw disk: MBR, one ext4 partition from 1 MiB. Never written: guests boot from overlays. */
  disk: string;
  /** ssh key pair whose public half is root's authorized key in the image. */
  sshKey: string;
  /** `dpkg-query -W` of the image: the package versions it was built from. */
  manifest: string;
  key: string;
}

export const deployCacheDir = join(repoRoot, 'test', 'deploy', '.cache');

const SUITE = 'trixie';
const MIRROR = 'http://deb.debian.org/debian';
/** systemd, ssh, cloud-init, Node.js and a kernel; GRUB (the boot loader nvprobe --persist drives), dbus (systemctl's bus), curl (cloud-config fetches the .deb), man-db. */
const PACKAGES = [
  'systemd-sysv',
  'udev',
  'dbus',
  'openssh-server',
  'python3',
  'python3-apt', // Ansible's apt module (it would try to install it, and the guest is offline)
  'cloud-init',
  'nodejs',
  'linux-image-cloud-amd64',
  'initramfs-tools',
  'e2fsprogs',
  'iproute2',
  'ifupdown',
  'isc-dhcp-client',
  'fio',
  'grub-pc',
  'curl',
  'ca-certificates',
  'man-db',
];
const DISK_MIB = 3072;
const PART_START = 1024 * 1024;
/** Fixed, so that fstab and the cached image agree; GRUB finds the root by it too. */
const ROOT_UUID = '6e767072-6f62-4500-8000-00000000da7a';
/**
 * oops=panic panic=1: under TCG a guest kernel now and then oopses while it boots (seen: int3 in
 * sched_clock_cpu as it patches its own code), and the guest then never starts sshd. Panicking and
 * rebooting a second later lets QEMU start the boot again: a retry, not a wedged guest.
 */
export const BASE_CMDLINE = 'console=ttyS0 net.ifnames=0 oops=panic panic=1';

/** Files the image gets beyond what the packages install: what an image builder (or cloud image) sets. */
function imageFiles(pubKey: string): Record<string, { content: string; mode?: number }> {
  return {
    'etc/fstab': { content: `UUID=${ROOT_UUID} / ext4 errors=remount-ro 0 1\n` },
    'etc/hostname': { content: 'nvprobe-lab\n' },
    'etc/hosts': { content: '127.0.0.1 localhost\n127.0.1.1 nvprobe-lab\n' },
    // User-mode networking answers DHCP; eth0 because net.ifnames=0 (the slot-based name depends on qemu's PCI layout).
    'etc/network/interfaces.d/eth0': { content: 'auto eth0\niface eth0 inet dhcp\n' },
    // The image brings its own network configuration; NoCloud is the only datasource a lab seed uses.
    'etc/cloud/cloud.cfg.d/90-nvprobe-lab.cfg': { content: 'network: {config: disabled}\ndatasource_list: [ NoCloud, None ]\n' },
    'etc/default/grub': {
      content: [
        'GRUB_DEFAULT=0',
        'GRUB_TIMEOUT=0',
        'GRUB_DISTRIBUTOR=Debian',
        'GRUB_CMDLINE_LINUX_DEFAULT=""',
        `GRUB_CMDLINE_LINUX="${BASE_CMDLINE}"`,
        'GRUB_TERMINAL=serial',
        'GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"',
        '',
      ].join('\n'),
    },
    'root/.ssh/authorized_keys': { content: pubKey, mode: 0o600 },
    // Init of the image's one build boot: install GRUB on the disk the root is on, then power off.
    'usr/local/sbin/nvprobe-lab-install-grub': {
      mode: 0o755,
      content: [
        '#!/bin/sh',
        'export PATH=/usr/sbin:/usr/bin:/sbin:/bin',
        'mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev 2>/dev/null',
        'mount -o remount,rw /',
        'if grub-install --target=i386-pc /dev/vda && update-grub; then echo NVPROBE-LAB-GRUB-OK; else echo NVPROBE-LAB-GRUB-FAILED; fi',
        'rm -f /usr/local/sbin/nvprobe-lab-install-grub',
        'sync; mount -o remount,ro /',
        'echo o > /proc/sysrq-trigger; sleep 10',
        '',
      ].join('\n'),
    },
  };
}

/** The cached image for the current trixie index, built first when there is none. */
export async function debianImage(cacheDir = deployCacheDir): Promise<DebianImage> {
  const key = await imageKey();
  const dir = join(cacheDir, `debian-${SUITE}-${key}`);
  const image = { disk: join(dir, 'disk.raw'), sshKey: join(dir, 'ssh_key'), manifest: join(dir, 'manifest.txt'), key };
  if (existsSync(join(dir, '.complete'))) return image;
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial);
  await buildImage(partial);
  writeFileSync(join(partial, '.complete'), `${key}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  // An older index's image is superseded (each holds about 1 GB).
  for (const name of readdirSync(cacheDir)) if (name.startsWith(`debian-${SUITE}-`) && join(cacheDir, name) !== dir) rmSync(join(cacheDir, name), { recursive: true, force: true });
  return image;
}

/** sha256 of the recipe and of the suite's package index (from its signed InRelease). */
async function imageKey(): Promise<string> {
  const res = await fetch(`${MIRROR}/dists/${SUITE}/InRelease`);
  if (!res.ok) throw new Error(`${MIRROR}/dists/${SUITE}/InRelease: HTTP ${res.status}`);
  const release = await res.text();
  const index = /^ ([0-9a-f]{64})\s+\d+\s+main\/binary-amd64\/Packages\.xz$/m.exec(release.split(/^SHA256:$/m)[1] ?? '');
  if (!index) throw new Error(`${SUITE} InRelease lists no SHA256 of main/binary-amd64/Packages.xz`);
  const recipe = readFileSync(new URL(import.meta.url));
  return createHash('sha256').update(recipe).update(index[1]!).digest('hex').slice(0, 16);
}

async function buildImage(dir: string): Promise<void> {
  const root = join(dir, 'root');
  const sshKey = join(dir, 'ssh_key');
  await runTool('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'nvprobe-lab', '-f', sshKey]);
  await runTool('mmdebstrap', ['--quiet', '--variant=minbase', `--include=${PACKAGES.join(',')}`, '--customize-hook=chroot "$1" dpkg-query -W > "$1/.manifest"', SUITE, root, MIRROR], {
    timeout: 900_000,
  });
  renameSync(join(root, '.manifest'), join(dir, 'manifest.txt'));
  for (const [path, { content, mode }] of Object.entries(imageFiles(readFileSync(`${sshKey}.pub`, 'utf8')))) {
    const file = join(root, path);
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    writeFileSync(file, content);
    if (mode !== undefined) chmodSync(file, mode);
  }
  const disk = join(dir, 'disk.raw');
  writeMbr(disk, DISK_MIB * 1024 * 1024);
  await runTool('mkfs.ext4', ['-q', '-F', '-U', ROOT_UUID, '-L', 'root', '-E', `offset=${PART_START}`, '-d', root, disk, `${DISK_MIB * 1024 - PART_START / 1024}k`], { timeout: 300_000 });
  const boot = readdirSync(join(root, 'boot'));
  const kernel = boot.find((f) => f.startsWith('vmlinuz-'));
  const initrd = boot.find((f) => f.startsWith('initrd.img-'));
  if (!kernel || !initrd) throw new Error(`the image's /boot has no kernel and initrd: ${boot.join(' ')}`);
  // The build boot: the image's own kernel, its root as init's disk, GRUB installed from inside.
  const out = await runTool(
    'qemu-system-x86_64',
    [
      ...['-accel', 'tcg,thread=single', '-cpu', 'max', '-smp', '2', '-m', '1024', '-nodefaults', '-nographic', '-serial', 'stdio', '-monitor', 'none', '-no-reboot'],
      ...['-kernel', join(root, 'boot', kernel), '-initrd', join(root, 'boot', initrd)],
      ...['-append', 'root=/dev/vda1 console=ttyS0 panic=-1 init=/usr/local/sbin/nvprobe-lab-install-grub'],
      ...['-drive', `file=${disk},if=virtio,format=raw`],
    ],
    { timeout: 300_000 },
  );
  if (!out.includes('NVPROBE-LAB-GRUB-OK')) throw new Error(`GRUB was not installed in the image:\n${out.split('\n').slice(-40).join('\n')}`);
  rmSync(root, { recursive: true, force: true });
}

/** A DOS partition table with one Linux partition from PART_START to the end (a sparse file of `bytes`). */
function writeMbr(file: string, bytes: number): void {
  const mbr = Buffer.alloc(512);
  const start = PART_START / 512;
  Buffer.from([0x80, 0xfe, 0xff, 0xff, 0x83, 0xfe, 0xff, 0xff]).copy(mbr, 446);
  mbr.writeUInt32LE(start, 454);
  mbr.writeUInt32LE(bytes / 512 - start, 458);
  mbr.writeUInt32LE(0x6e767072, 440); // disk signature
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  const fd = openSync(file, 'wx');
  try {
    if (writeSync(fd, mbr, 0, 512, 0) !== 512) throw new Error(`short write of the MBR of ${file}`);
    ftruncateSync(fd, bytes); // the rest is a hole until mkfs writes it
  } finally {
    closeSync(fd);
  }
}

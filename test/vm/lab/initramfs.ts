import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, constants as zlib } from 'node:zlib';
import type { GuestPackages } from './debian-packages.js';
import { renderInit } from './init-script.js';
import { moduleLoadOrder } from './kernel-modules.js';
import { copyNvprobePackage } from './nvprobe-payload.js';
import { repoRoot } from './repo-paths.js';
import { hasTool, runTool } from './run-tool.js';
import { sharedLibraries } from './shared-libraries.js';

/** The virtio transport and disk driver; nvme is built into the cloud kernel (see kernel-modules.ts). */
export const GUEST_MODULES = ['virtio_pci', 'virtio_blk'];
/** nvprobe's install dir in the guest, and the cwd of every command. */
export const GUEST_NVPROBE_DIR = '/opt/nvprobe';

export interface Initramfs {
  file: string;
  /** Modules /init loads, in order */
  modules: string[];
}

/**
 * Build a gzip'd cpio (newc) initramfs: busybox with its applet links, the virtio modules, the
 * host's node (stripped) with every library it and the ffi-rs addon need, and nvprobe at
 * /opt/nvprobe with its production node_modules. Written to `outFile`.
 */
export async function buildInitramfs(pkgs: GuestPackages, outFile: string): Promise<Initramfs> {
  const stage = mkdtempSync(join(tmpdir(), 'nvprobe-initramfs-'));
  try {
    const modules = moduleLoadOrder(pkgs.modulesDir, GUEST_MODULES);
    await addBusybox(stage, pkgs.busybox);
    addReboot(stage);
    mkdirSync(join(stage, 'lib', 'modules'), { recursive: true });
    for (const m of modules) copyFileSync(m.file, join(stage, 'lib', 'modules', `${m.name}.ko`));

    const nvprobeDir = join(stage, GUEST_NVPROBE_DIR);
    await copyNvprobePackage(repoRoot, nvprobeDir);
    await addNode(stage, nvprobeDir);

    for (const dir of ['proc', 'sys', 'dev', 'tmp', 'run']) mkdirSync(join(stage, dir), { recursive: true });
    writeFileSync(join(stage, 'init'), renderInit({ modules: modules.map((m) => m.name), workDir: GUEST_NVPROBE_DIR }));
    chmodSync(join(stage, 'init'), 0o755);

    await writeCpioGz(stage, pkgs.busybox, outFile);
    return { file: outFile, modules: modules.map((m) => m.name) };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

async function addBusybox(stage: string, busybox: string): Promise<void> {
  mkdirSync(join(stage, 'bin'), { recursive: true });
  copyFileSync(busybox, join(stage, 'bin', 'busybox'));
  chmodSync(join(stage, 'bin', 'busybox'), 0o755);
  // --list-full gives each applet's usual place (bin/sh, sbin/insmod, usr/bin/base64, ...).
  for (const applet of (await runTool(busybox, ['--list-full'])).split('\n').filter(Boolean)) {
    if (applet === 'bin/busybox') continue; // the binary itself is in the list
    const link = join(stage, applet);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync('/bin/busybox', link);
  }
}

/**
 * /sbin/reboot: the lab has no init system to signal (busybox's plain `reboot` asks PID 1, and the
 * lab's /init is a shell loop): flush the file systems and restart the kernel at once, whatever the
 * options. The host sees the kernel's "reboot: Restarting system" and qemu (-no-reboot) exit.
 */
function addReboot(stage: string): void {
  const reboot = join(stage, 'sbin', 'reboot');
  rmSync(reboot, { force: true });
  writeFileSync(reboot, '#!/bin/sh\n# nvprobe QEMU lab (test/vm/lab/initramfs.ts): no init system; sync and restart the kernel.\nsync\nexec /bin/busybox reboot -f\n');
  chmodSync(reboot, 0o755);
}

/** The running node (stripped when binutils is there: ~13 MB less to pack and boot) and its libraries. */
async function addNode(stage: string, nvprobeDir: string): Promise<void> {
  const node = join(stage, 'usr', 'bin', 'node');
  mkdirSync(dirname(node), { recursive: true });
  if (hasTool('strip')) await runTool('strip', ['-o', node, process.execPath]);
  else copyFileSync(process.execPath, node);
  chmodSync(node, 0o755);

  const addons = findFiles(join(nvprobeDir, 'node_modules'), (f) => f.endsWith('.node'));
  for (const lib of await sharedLibraries([process.execPath, ...addons])) {
    const dest = join(stage, lib);
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(realpathSync(lib), dest);
  }
}

function findFiles(dir: string, match: (file: string) => boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findFiles(p, match));
    else if (entry.isFile() && match(p)) out.push(p);
  }
  return out;
}

/** Every path under `root`, relative, directories before their contents (cpio's input). */
function listTree(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${entry.name}` : entry.name;
    out.push(p);
    if (entry.isDirectory()) out.push(...listTree(root, p));
  }
  return out;
}

/** busybox cpio (static, so it runs on the host too) writes newc; zlib gzips at level 1 for speed. */
async function writeCpioGz(stage: string, busybox: string, outFile: string): Promise<void> {
  const cpio = spawn(busybox, ['cpio', '-o', '-H', 'newc'], { cwd: stage, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  cpio.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    cpio.on('error', reject);
    cpio.on('close', resolve);
  });
  cpio.stdin.end(listTree(stage).join('\n') + '\n');
  await pipeline(cpio.stdout, createGzip({ level: 1, chunkSize: 1 << 20, strategy: zlib.Z_DEFAULT_STRATEGY }), createWriteStream(outFile));
  const code = await exited;
  if (code !== 0) throw new Error(`busybox cpio exited with ${code}: ${stderr.trim()}`);
}

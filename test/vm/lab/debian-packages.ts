import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labCacheDir } from './repo-paths.js';
import { runTool } from './run-tool.js';

/** The guest's kernel and userland, as Debian ships them (extracted, never installed). */
export interface GuestPackages {
  /** e.g. linux-image-6.1.0-56-cloud-amd64 */
  kernelPackage: string;
  /** Debian version of that package, e.g. 6.1.192-2 */
  kernelVersion: string;
  /** `uname -r` of the guest, e.g. 6.1.0-56-cloud-amd64 */
  kernelRelease: string;
  vmlinuz: string;
  /** lib/modules/<release> of the extracted kernel package */
  modulesDir: string;
  busyboxVersion: string;
  /** Static busybox: runs in the guest and, being static, on the host (its cpio builds the initramfs). */
  busybox: string;
}

const KERNEL_META_PACKAGE = 'linux-image-cloud-amd64';
const BUSYBOX_PACKAGE = 'busybox-static';

/** Download (once) and extract the cloud kernel and busybox-static into test/vm/.cache/. */
export async function fetchGuestPackages(cacheDir = labCacheDir): Promise<GuestPackages> {
  const kernelPackage = await withAptListsFallback(() => concreteKernelPackage());
  const kernelVersion = await candidateVersion(kernelPackage);
  const busyboxVersion = await candidateVersion(BUSYBOX_PACKAGE);
  const kernelRelease = kernelPackage.replace(/^linux-image-/, '');

  const kernelTree = await extractedPackage(cacheDir, kernelPackage, kernelVersion, /^linux-image-.*-cloud-amd64_/);
  const busyboxTree = await extractedPackage(cacheDir, BUSYBOX_PACKAGE, busyboxVersion, /^busybox-static_/);
  return {
    kernelPackage,
    kernelVersion,
    kernelRelease,
    vmlinuz: join(kernelTree, 'boot', `vmlinuz-${kernelRelease}`),
    modulesDir: join(kernelTree, 'lib', 'modules', kernelRelease),
    busyboxVersion,
    busybox: join(busyboxTree, 'bin', 'busybox'),
  };
}

/** linux-image-cloud-amd64 is a meta package; its one dependency names the real kernel. */
async function concreteKernelPackage(): Promise<string> {
  const out = await runTool('apt-cache', ['depends', KERNEL_META_PACKAGE]);
  const m = /Depends:\s*(linux-image-\d[^\s]*-cloud-amd64)/.exec(out);
  if (!m) throw new Error(`apt-cache depends ${KERNEL_META_PACKAGE} names no linux-image-*-cloud-amd64:\n${out}`);
  return m[1]!;
}

async function candidateVersion(pkg: string): Promise<string> {
  const out = await withAptListsFallback(() => runTool('apt-cache', ['show', '--no-all-versions', pkg]));
  const m = /^Version:\s*(\S+)/m.exec(out);
  if (!m) throw new Error(`apt-cache show ${pkg} gives no Version`);
  return m[1]!;
}

/** A fresh machine may have empty apt lists: refresh them only when a lookup fails. */
let listsRefreshed = false;
async function withAptListsFallback<T>(lookup: () => Promise<T>): Promise<T> {
  try {
    return await lookup();
  } catch (err) {
    if (listsRefreshed) throw err;
    await runTool('apt-get', ['update', '-qq']);
    listsRefreshed = true;
    return lookup();
  }
}

/**
 * `<cache>/<pkg>_<version>/` holding the package's files; downloaded and extracted if absent.
 * `family` matches cache entries of this package's other versions (and other kernel ABIs).
 */
async function extractedPackage(cacheDir: string, pkg: string, version: string, family: RegExp): Promise<string> {
  const tree = join(cacheDir, `${pkg}_${version.replace(/:/g, '%3a')}`);
  if (existsSync(join(tree, '.complete'))) return tree;

  const debDir = join(cacheDir, 'debs');
  mkdirSync(debDir, { recursive: true });
  const deb = await downloadedDeb(debDir, pkg, version);
  // Extract beside the target and rename, so an interrupted run never leaves a half tree that looks done.
  const partial = `${tree}.partial`;
  rmSync(partial, { recursive: true, force: true });
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  await runTool('dpkg-deb', ['-x', deb, partial]);
  writeFileSync(join(partial, '.complete'), `${pkg} ${version}\n`);
  renameSync(partial, tree);
  pruneOthers(cacheDir, family, tree, deb);
  return tree;
}

/** When apt moves to a newer kernel, drop the superseded trees and .debs (~130 MB each). */
function pruneOthers(cacheDir: string, family: RegExp, keepTree: string, keepDeb: string): void {
  for (const dir of [cacheDir, join(cacheDir, 'debs')]) {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (family.test(name) && p !== keepTree && p !== keepDeb) rmSync(p, { recursive: true, force: true });
    }
  }
}

async function downloadedDeb(debDir: string, pkg: string, version: string): Promise<string> {
  const find = () => readdirSync(debDir).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb') && debVersion(f) === version);
  let name = find();
  if (!name) {
    // The sandbox user (_apt) may not be able to write into the cache dir; we are root and write ourselves.
    await runTool('apt-get', ['download', '-qq', '-o', 'APT::Sandbox::User=root', `${pkg}=${version}`], { cwd: debDir });
    name = find();
    if (!name) throw new Error(`apt-get download ${pkg}=${version} left no .deb in ${debDir}`);
  }
  return join(debDir, name);
}

/** apt-get download names files <pkg>_<version with ':' as %3a>_<arch>.deb */
function debVersion(fileName: string): string {
  return decodeURIComponent(fileName.split('_')[1] ?? '');
}

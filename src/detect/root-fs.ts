import type { Root } from '../host/root.js';
import { wholeDiskOf } from './disk-stack.js';
import { SysReader } from './reader.js';
import type { RootFsInfo } from '../contracts/detect-system.js';

export interface MountEntry {
  dev: string | null;
  mountPoint: string;
  fsType: string;
  source: string;
}

/** Lines of /proc/self/mountinfo (proc(5)); octal escapes in paths decoded. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (f.length < 10 || dash < 0) continue;
    out.push({ dev: f[2]!, mountPoint: unescapeMountField(f[4]!), fsType: f[dash + 1]!, source: unescapeMountField(f[dash + 2]!) });
  }
  return out;
}

/** Lines of /proc/mounts (fstab format). */
export function parseMounts(text: string): MountEntry[] {
  return text
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f.length >= 3)
    .map((f) => ({ dev: null, mountPoint: unescapeMountField(f[1]!), fsType: f[2]!, source: unescapeMountField(f[0]!) }));
}

function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

export function detectRootFs(r: SysReader): RootFsInfo | null {
  let from: RootFsInfo['from'] = '/proc/self/mountinfo';
  let text = r.text(from, true);
  let entries = text === null ? null : parseMountinfo(text);
  if (entries === null) {
    from = '/proc/mounts';
    text = r.text(from);
    entries = text === null ? null : parseMounts(text);
  }
  // The last mount on / is the one in effect (later mounts stack over earlier ones).
  const mount = entries?.filter((e) => e.mountPoint === '/').pop();
  if (!mount) return null;
  const device = (mount.dev && !mount.dev.startsWith('0:') ? nameForDev(r, mount.dev) : null) ?? nameForSource(r, mount.source);
  return { device, disk: device === null ? null : wholeDiskOf(r, device), dev: mount.dev, fsType: mount.fsType, source: mount.source, from };
}

function nameForDev(r: SysReader, dev: string): string | null {
  const link = `/sys/dev/block/${dev}`;
  if (r.root.isDir(link)) {
    const dir = r.root.realpath(link);
    return dir.slice(dir.lastIndexOf('/') + 1);
  }
  // A captured tree holds /sys/dev/block links only for what was looked up: scan the disks
  // and their partitions instead.
  for (const disk of r.list('/sys/block')) {
    if (r.root.attr(`/sys/block/${disk}/dev`) === dev) return disk;
    for (const part of r.list(`/sys/block/${disk}`).filter((e) => e.startsWith(disk) && e !== disk)) {
      if (r.root.attr(`/sys/block/${disk}/${part}/dev`) === dev) return part;
    }
  }
  return null;
}

/** btrfs and friends report an anonymous 0:N: fall back on the source device's name. */
function nameForSource(r: SysReader, source: string): string | null {
  const mapper = /^\/dev\/mapper\/(.+)$/.exec(source);
  if (mapper) {
    return r.list('/sys/block').find((d) => d.startsWith('dm-') && r.optional(`/sys/block/${d}/dm/name`) === mapper[1]) ?? null;
  }
  const dev = /^\/dev\/([^/]+)$/.exec(source);
  if (dev && dev[1] !== 'root' && r.root.exists(`/sys/class/block/${dev[1]}`)) return dev[1]!;
  return null;
}

export { splitDevno } from '../host/file-info.js';

/**
 * The block device with number major:minor and its whole disk: a file on /dev/vda2 gives
 * { device: "vda2", disk: "vda" }; on LVM { device: "dm-0", disk: "dm-0" }. null when unknown.
 */
export function blockDeviceForDevno(root: Root, major: number, minor: number): { device: string; disk: string } | null {
  const r = new SysReader(root);
  const device = nameForDev(r, `${major}:${minor}`);
  if (device === null) return null;
  return { device, disk: wholeDiskOf(r, device) ?? device };
}

/** The whole-disk name for a device number (what `detectDisk(root, name)` takes); null when unknown. */
export function diskNameForDevno(root: Root, major: number, minor: number): string | null {
  return blockDeviceForDevno(root, major, minor)?.disk ?? null;
}

/** The mount a (real, absolute) path lives on: the longest mount point that prefixes it. */
export function mountOfPath(root: Root, realPath: string): MountEntry | null {
  const text = root.text('/proc/self/mountinfo');
  if (text === null) return null;
  let best: MountEntry | null = null;
  for (const m of parseMountinfo(text)) {
    const prefix = m.mountPoint.endsWith('/') ? m.mountPoint : `${m.mountPoint}/`;
    if ((realPath === m.mountPoint || realPath.startsWith(prefix)) && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

/** The block device holding the root filesystem, read through root (live: this process's /). */
export function findRootFsDevice(root: Root): RootFsInfo | null {
  return detectRootFs(new SysReader(root));
}

import * as fs from 'node:fs';
import * as path from 'node:path';

export type FileKind = 'block' | 'file' | 'directory' | 'char' | 'other';

export interface FileInfo {
  path: string;
  kind: FileKind;
  /** Regular file length; 0 for devices (ask the device). */
  sizeBytes: number;
  /** Device the file lives on (st_dev). */
  dev: { major: number; minor: number };
  /** The device a block/char node stands for (st_rdev). */
  rdev: { major: number; minor: number };
}

/** Linux dev_t encoding (glibc's gnu_dev_major/minor), for values that fit a double exactly. */
export function splitDev(dev: number): { major: number; minor: number } {
  const d = BigInt(dev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return { major, minor };
}

/** stat(2) following links; throws the ErrnoException (ENOENT, EACCES...) for the caller to word. */
export function statPath(p: string): FileInfo {
  const st = fs.statSync(p);
  const kind: FileKind = st.isBlockDevice()
    ? 'block'
    : st.isFile()
      ? 'file'
      : st.isDirectory()
        ? 'directory'
        : st.isCharacterDevice()
          ? 'char'
          : 'other';
  return { path: p, kind, sizeBytes: st.isFile() ? st.size : 0, dev: splitDev(st.dev), rdev: splitDev(st.rdev) };
}

export interface MountInfo {
  mountPoint: string;
  fsType: string;
  source: string;
  dev: { major: number; minor: number };
}

/** Parse /proc/self/mountinfo text (fields per proc(5); octal escapes in paths). */
export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const f = left.split(' ');
    const r = right.split(' ');
    const [maj, min] = (f[2] ?? '0:0').split(':').map(Number);
    out.push({ mountPoint: unescapeOctal(f[4] ?? ''), fsType: r[0] ?? 'unknown', source: unescapeOctal(r[1] ?? ''), dev: { major: maj ?? 0, minor: min ?? 0 } });
  }
  return out;
}

function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The mount a path lives on: the longest mount point that prefixes its real path. */
export function mountOf(p: string, mountinfoText = fs.readFileSync('/proc/self/mountinfo', 'utf8')): MountInfo | null {
  let real: string;
  try {
    real = fs.realpathSync(p);
  } catch {
    real = path.resolve(p);
  }
  let best: MountInfo | null = null;
  for (const m of parseMountInfo(mountinfoText)) {
    const inside = real === m.mountPoint || real.startsWith(m.mountPoint.endsWith('/') ? m.mountPoint : `${m.mountPoint}/`);
    if (inside && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

export function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
}

export function isRoot(): boolean {
  return typeof process.geteuid === 'function' && process.geteuid() === 0;
}

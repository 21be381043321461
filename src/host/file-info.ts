import * as fs from 'node:fs';

export type FileKind = 'block' | 'file' | 'directory' | 'char' | 'other';

export interface FileInfo {
  path: string;
  kind: FileKind;
  /** Regular file length; 0 for devices (ask the device). */
  sizeBytes: number;
  /** Bytes the filesystem has allocated to it (st_blocks × 512): less than its length means holes. */
  allocatedBytes: number;
  /** Device the file lives on (st_dev). */
  dev: { major: number; minor: number };
  /** The device a block/char node stands for (st_rdev). */
  rdev: { major: number; minor: number };
}

/** Split a dev_t as fs.statSync() gives it (`dev` of a file, `rdev` of a device node), like glibc's major()/minor(). */
export function splitDevno(dev: number | bigint): { major: number; minor: number } {
  const d = BigInt(dev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return { major, minor };
}

/** stat(2) following links; throws the ErrnoException (ENOENT, EACCES...) for the caller to word. */
export function statPath(p: string): FileInfo {
  const st = fs.statSync(p);
  const kind: FileKind = st.isBlockDevice() ? 'block' : st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isCharacterDevice() ? 'char' : 'other';
  return { path: p, kind, sizeBytes: st.isFile() ? st.size : 0, allocatedBytes: st.blocks * 512, dev: splitDevno(st.dev), rdev: splitDevno(st.rdev) };
}

export function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
}

export function isRoot(): boolean {
  return typeof process.geteuid === 'function' && process.geteuid() === 0;
}

import * as fs from 'node:fs';
import * as path from 'node:path';
import { NvprobeError } from '../errors.js';
import { replaceFileAtomic, syncDir } from './atomic-file.js';
import type { Root } from './root.js';
import { writeAllowed } from './write-allowlist.js';

/** Refuse a write outside the allowlist: a programming error or a hostile input, never a user's. */
function guard(guestPath: string): void {
  if (!writeAllowed(guestPath)) throw new NvprobeError(`refusing to write ${guestPath}: not on nvprobe's write allowlist`);
}

/** Write one sysfs/procfs attribute. On a captured tree the attribute is a plain file. */
export function writeAttr(root: Root, guestPath: string, value: string): void {
  guard(guestPath);
  const host = root.resolve(guestPath);
  // sysfs: one write(2) of the value; O_TRUNC is harmless there and needed on a plain-file tree.
  const fd = fs.openSync(host, root.live ? 'r+' : 'w');
  try {
    fs.writeSync(fd, value);
  } finally {
    fs.closeSync(fd);
  }
}

/** Replace a file atomically: temp file in the same directory, fsync, rename, fsync the directory. */
export function writeFileAtomic(root: Root, guestPath: string, content: string, mode = 0o644): void {
  guard(guestPath);
  const host = root.resolve(guestPath);
  const dir = path.dirname(host);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  replaceFileAtomic(host, content, mode);
}

export function deleteFile(root: Root, guestPath: string): void {
  guard(guestPath);
  const host = root.resolve(guestPath);
  fs.rmSync(host, { force: true });
  syncDir(path.dirname(host));
}

export function fileMode(root: Root, guestPath: string): number | null {
  try {
    return fs.statSync(root.resolve(guestPath)).mode & 0o7777;
  } catch {
    return null;
  }
}

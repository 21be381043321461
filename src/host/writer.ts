import * as fs from 'node:fs';
import * as path from 'node:path';
import { NvprobeError } from '../errors.js';
import type { Root } from './root.js';
import { replaceFileAtomic, syncDirectory } from './safe-create.js';
import { writeAllowed } from './write-allowlist.js';
import { writeAllSync } from './write-all.js';

/** Refuse a write outside the allowlist: a programming error or a hostile input, never a user's. */
function guard(guestPath: string): void {
  if (!writeAllowed(guestPath)) throw new NvprobeError(`refusing to write ${guestPath}: not on nvprobe's write allowlist`);
}

/** Write one sysfs/procfs attribute. On a captured tree the attribute is a plain file. */
export function writeAttr(root: Root, guestPath: string, value: string): void {
  guard(guestPath);
  const host = root.resolve(guestPath);
  // sysfs: one write(2) of the value; O_TRUNC is harmless there and needed on a plain-file tree.
  // A captured tree (revert --root) is plain files: never write through a link, never wait on a FIFO.
  const fd = fs.openSync(host, root.live ? 'r+' : fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK, 0o644);
  try {
    writeAllSync(fd, value);
  } finally {
    fs.closeSync(fd);
  }
}

/** Replace a file atomically: temp file in the same directory, fsync, rename, fsync the directory. */
export function writeFileAtomic(root: Root, guestPath: string, content: string, mode = 0o644, owner?: FileOwner | null): void {
  guard(guestPath);
  const host = root.resolve(guestPath);
  const dir = path.dirname(host);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  // Unpredictable temp name, O_EXCL|O_NOFOLLOW, mode set on the fd; never replaces a link or special file.
  replaceFileAtomic(host, content, mode, guestPath, owner);
}

export function deleteFile(root: Root, guestPath: string): void {
  guard(guestPath);
  const host = root.resolve(guestPath);
  fs.rmSync(host, { force: true });
  syncDirectory(path.dirname(host));
}

export interface FileOwner {
  uid: number;
  gid: number;
}

/** Owner of a file under the root, or null when absent. */
export function fileOwner(root: Root, guestPath: string): FileOwner | null {
  try {
    const st = fs.statSync(root.resolve(guestPath));
    return { uid: st.uid, gid: st.gid };
  } catch {
    return null;
  }
}

export function fileMode(root: Root, guestPath: string): number | null {
  try {
    return fs.statSync(root.resolve(guestPath)).mode & 0o7777;
  } catch {
    return null;
  }
}

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

/**
 * Replace `file` atomically: a new temp file beside it (dot-named, created with
 * O_CREAT|O_EXCL|O_NOFOLLOW so that nothing already there is followed or reused), write, fsync,
 * chmod to `mode` (the umask must not decide it), rename over `file`, fsync the directory.
 * On failure the temp file is removed and the fs error rethrown (`syscall` says which step:
 * 'open' when the temp file could not be created).
 */
export function replaceFileAtomic(file: string, data: string | Buffer, mode: number): void {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  const tmp = path.join(dir, `.${path.basename(abs)}.nvprobe-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  try {
    try {
      fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, abs);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  syncDir(dir);
}

/** fsync a directory so that a rename in it survives a power cut. */
export function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  }
}

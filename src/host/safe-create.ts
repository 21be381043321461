import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExitCode, NvprobeError, usageError } from '../errors.js';
import { expectSize, writeAllSync } from './write-all.js';

/**
 * Creating files as root in directories others may write to (a textfile-collector directory,
 * /tmp, a support engineer's download folder) without being tricked: the directory is checked
 * with lstat, temp files get an unpredictable name and are created O_EXCL|O_NOFOLLOW, their mode
 * is set on the descriptor (never through a path), and the final rename never lands on a
 * symlink or a special file (it would replace /dev/full, a FIFO, a device node).
 */

const CREATE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;

/** How a place to write was refused: the line for the user (exit 2). */
function refuse(file: string, why: string, hint?: string): NvprobeError {
  return usageError(`cannot write ${file}: ${why}`, hint);
}

/**
 * The directory must be a real directory (not a symlink to one), and not world-writable
 * without the sticky bit (anyone could swap our file for a link between two steps).
 */
export function checkWriteDir(dir: string, forFile: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw refuse(forFile, 'its directory does not exist', 'create the directory first, or choose another path');
    throw refuse(forFile, `cannot inspect its directory ${dir} (${code ?? String(err)})`);
  }
  if (st.isSymbolicLink()) throw refuse(forFile, `its directory ${dir} is a symlink; nvprobe writes only into real directories`, 'give the path the link points to');
  if (!st.isDirectory()) throw refuse(forFile, `${dir} is not a directory`);
  if ((st.mode & 0o002) !== 0 && (st.mode & 0o1000) === 0) {
    throw refuse(forFile, `its directory ${dir} is world-writable without the sticky bit`, 'choose a directory only trusted users can write to');
  }
}

/**
 * What may be at the destination: nothing, or a regular file (replaced by rename). A symlink is
 * never followed, a directory or special file (/dev/full, a FIFO, a socket) never replaced.
 */
export function checkDestination(file: string): fs.Stats | undefined {
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(file, { throwIfNoEntry: false });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw refuse(file, 'its directory does not exist', 'create the directory first, or choose another path');
    if (code === 'ELOOP') throw refuse(file, 'too many levels of symbolic links (ELOOP)');
    throw refuse(file, `cannot inspect it (${code ?? String(err)})`);
  }
  if (st === undefined || st.isFile()) return st;
  if (st.isSymbolicLink()) throw refuse(file, 'it is a symlink; nvprobe does not write through links', 'give the real path, or remove the link');
  if (st.isDirectory()) throw refuse(file, 'it is a directory', 'give a file name');
  const kind = st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'not a regular file';
  throw refuse(file, `it is ${kind}, and nvprobe only replaces regular files`, 'to print the report, leave out -o; otherwise give a regular file path');
}

/** A new temp file beside `file`: unpredictable name, O_EXCL|O_NOFOLLOW, mode set on the fd. */
export function createTempBeside(file: string, mode: number): { fd: number; tmp: string } {
  const abs = path.resolve(file);
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.nvprobe-${randomBytes(8).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, CREATE_FLAGS, mode & 0o777);
  try {
    fs.fchmodSync(fd, mode); // the umask must not decide who may read it
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  return { fd, tmp };
}

/**
 * Can a file be created in `file`'s directory? Checks the directory and the destination, then
 * creates and removes one temp file, so that a read-only or pseudo filesystem (/proc) or a
 * missing permission is found before any work, not after it. Returns the absolute path.
 */
export function checkCreatable(file: string): string {
  const abs = path.resolve(file);
  checkWriteDir(path.dirname(abs), file);
  checkDestination(abs);
  let probe: { fd: number; tmp: string };
  try {
    probe = createTempBeside(abs, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    const why =
      code === 'ENOENT'
        ? 'its directory takes no new files (ENOENT: a pseudo filesystem?)'
        : code === 'EACCES' || code === 'EPERM'
          ? `no permission to create files in ${path.dirname(abs)} (${code})`
          : code === 'EROFS'
            ? 'its filesystem is read-only'
            : code;
    throw refuse(file, why, 'choose a path in a directory you can write to');
  }
  fs.closeSync(probe.fd);
  fs.rmSync(probe.tmp, { force: true });
  return abs;
}

/**
 * The one atomic replacement: checks the directory and the destination, writes a new temp file
 * beside `file` (above), fsyncs it, checks the destination again, renames, fsyncs the directory.
 * Refusals are exit-2 errors; a failing write (ENOSPC, EIO) is rethrown as the fs error, with
 * the temp file removed (`syscall` 'open' when the temp file could not be created).
 */
export function replaceFileAtomic(
  file: string,
  data: Buffer | string,
  mode: number,
  shownAs = file,
  owner?: { uid: number; gid: number } | null,
  opts: { noReplace?: boolean; existsHint?: string } = {},
): void {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  checkWriteDir(dir, shownAs);
  checkDestination(abs);
  const { fd, tmp } = createTempBeside(abs, mode);
  try {
    try {
      // The file's owner as it was (a group-readable /etc/default/grub stays its group's), on the fd.
      if (owner) fs.fchownSync(fd, owner.uid, owner.gid);
      const buf = typeof data === 'string' ? Buffer.from(data) : data;
      writeAllSync(fd, buf);
      fs.fsyncSync(fd);
      expectSize(fd, buf.length);
    } finally {
      fs.closeSync(fd);
    }
    // Between the check and now a link or FIFO may have been planted: rename replaces the
    // name itself (never follows it), but refuse rather than replace a non-regular file.
    checkDestination(abs);
    if (opts.noReplace) publishNew(tmp, abs, shownAs, opts.existsHint);
    else fs.renameSync(tmp, abs);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  syncDirectory(dir);
}

/**
 * Give the finished temp file its name only if nothing has that name: link(2) fails with EEXIST
 * where rename would replace a file created since the check. Where the filesystem has no hard
 * links (vfat, some FUSE), rename after the check is the best there is.
 */
function publishNew(tmp: string, abs: string, shownAs: string, existsHint = 'choose another name'): void {
  try {
    fs.linkSync(tmp, abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw usageError(`${shownAs} already exists`, existsHint);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw err;
    fs.renameSync(tmp, abs);
    return;
  }
  fs.rmSync(tmp, { force: true });
}

/**
 * Write `data` to `file` atomically and safely (replaceFileAtomic), for user-chosen paths. With
 * `replace` false an existing destination is refused. Checks fail with exit 2; a failing write
 * (ENOSPC, EIO) with exit 1, leaving nothing behind.
 */
export function writeFileSafely(file: string, data: Buffer | string, opts: { mode: number; replace: boolean; existsHint?: string }): void {
  const st = checkDestination(path.resolve(file));
  if (st && !opts.replace) throw usageError(`${file} already exists`, opts.existsHint ?? 'choose another name');
  try {
    // Without replace, the new file takes the name only if it is still free (a file created
    // since the check above is refused, not replaced).
    replaceFileAtomic(file, data, opts.mode, file, null, { noReplace: !opts.replace, existsHint: opts.existsHint });
  } catch (err) {
    if (err instanceof NvprobeError) throw err;
    const e = err as NodeJS.ErrnoException;
    const code = e.code ?? String(err);
    if (e.syscall === 'open') throw refuse(file, code === 'ENOENT' ? 'its directory does not exist' : code, 'choose a path in a directory you can write to');
    throw new NvprobeError(`writing ${file} failed: ${code}`, { exitCode: ExitCode.failure, cause: err });
  }
}

/** fsync a directory so that a rename in it survives a power cut. */
export function syncDirectory(dir: string): void {
  try {
    const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  }
}

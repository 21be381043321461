import * as fs from 'node:fs';
import { writeAllSync } from './write-all.js';
import * as path from 'node:path';
import { ExitCode, NvprobeError } from '../errors.js';
import { tryLockExclusive } from '../native/libc.js';
import { ensureDir } from './state-dir.js';

/**
 * The one lock of this machine for commands that change kernel settings: two tune/revert runs
 * with different state dirs still act on the same devices. /run is root's and cleared at boot.
 */
export const MACHINE_LOCK_FILE = '/run/nvprobe.lock';

export interface HeldLock {
  release(): void;
}

/**
 * Take the locks of a run that writes settings: the machine-wide lock (when it acts on this
 * machine, not a captured tree) and the state dir's (its journal). flock(2) on files that are
 * never removed: the kernel drops a lock when its holder dies, so no stale lock can remain, and
 * a file without a live holder is simply taken. A held lock stops here with exit 1 naming the
 * holder's pid.
 */
export function acquireLock(dir: string, what: string, opts: { machine: boolean } = { machine: true }): HeldLock {
  const held: HeldLock[] = [];
  try {
    if (opts.machine) held.push(lockFile(MACHINE_LOCK_FILE, what));
    ensureDir(dir);
    held.push(lockFile(path.join(dir, 'lock'), what));
  } catch (err) {
    for (const h of held.reverse()) h.release();
    throw err;
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      for (const h of [...held].reverse()) h.release();
    },
  };
}

function lockFile(file: string, what: string): HeldLock {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    // A link planted there is bad input (exit 2, nothing changed), like a FIFO or a directory.
    if (code === 'ELOOP')
      throw new NvprobeError(`cannot open the lock file ${file}: it is a symbolic link`, { exitCode: ExitCode.usage, hint: `remove ${file}; nvprobe never follows a link there`, cause: err });
    if (code === 'EISDIR') throw new NvprobeError(`the lock file ${file} is not a regular file`, { exitCode: ExitCode.usage, hint: `remove ${file}`, cause: err });
    // An ordinary user meets root's lock: the command needs root, it did not fail.
    if ((code === 'EACCES' || code === 'EPERM') && process.geteuid?.() !== 0)
      throw new NvprobeError(`cannot open the lock file ${file} (${code}): this command changes the machine and needs root`, {
        exitCode: ExitCode.needsRoot,
        hint: 'rerun as root (e.g. with sudo)',
        cause: err,
      });
    throw new NvprobeError(`cannot open the lock file ${file}: ${code}`, { cause: err });
  }
  try {
    if (!fs.fstatSync(fd).isFile()) throw new NvprobeError(`the lock file ${file} is not a regular file`, { exitCode: ExitCode.usage, hint: `remove ${file}` });
    if (!tryLockExclusive(fd, file)) {
      const holder = /^(\d+)(?: (\S+))?/.exec(readAll(fd));
      const who = holder ? `nvprobe ${holder[2] ?? 'run'} is running (pid ${holder[1]})` : 'nvprobe run is running';
      throw new NvprobeError(`another ${who}; ${what} stops here and changes nothing`, { exitCode: ExitCode.failure, hint: 'let it finish, then try again' });
    }
    fs.ftruncateSync(fd, 0);
    writeAllSync(fd, `${process.pid} ${what}\n`, 0);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  let open = true;
  return {
    release() {
      if (!open) return;
      open = false;
      try {
        fs.ftruncateSync(fd, 0); // name no pid once done; the file itself stays (see acquireLock)
      } finally {
        fs.closeSync(fd);
      }
    },
  };
}

function readAll(fd: number): string {
  const buf = Buffer.alloc(64);
  const n = fs.readSync(fd, buf, 0, buf.length, 0);
  return buf.subarray(0, n).toString('utf8');
}

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExitCode, NvprobeError, usageError } from '../errors.js';

/** nvprobe's own state: journal, lock, saved runs. Overridable for tests and unusual layouts. */
export function stateDir(override?: string): string {
  return path.resolve(override ?? process.env.NVPROBE_STATE_DIR ?? '/var/lib/nvprobe');
}

/**
 * The state dir a read-only command (check) takes tune's saved runs from: an explicit `--state-dir`
 * must be an existing directory (exit 2 otherwise); the default one (NVPROBE_STATE_DIR or
 * /var/lib/nvprobe) may be missing, which simply means nothing was saved: null.
 */
export function existingStateDir(explicit?: string): string | null {
  const dir = stateDir(explicit);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(dir, { throwIfNoEntry: false });
    if (st?.isDirectory() && explicit !== undefined) fs.accessSync(dir, fs.constants.R_OK | fs.constants.X_OK);
  } catch (err) {
    if (explicit === undefined) return null;
    throw usageError(`--state-dir ${explicit}: cannot access it (${(err as NodeJS.ErrnoException).code ?? String(err)})`, STATE_HINT);
  }
  if (st?.isDirectory()) return dir;
  if (explicit === undefined) return null;
  throw usageError(st ? `--state-dir ${explicit} is not a directory` : `--state-dir ${explicit}: no such directory`, STATE_HINT);
}

const STATE_HINT = 'give the directory `nvprobe tune --state-dir` wrote its runs to, or leave --state-dir out';

export function ensureDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * An exclusive lock (O_CREAT|O_EXCL file holding our pid) so that two tune/revert runs never
 * interleave. A lock left by a process that no longer exists is taken over.
 */
export function acquireLock(dir: string, what: string): () => void {
  ensureDir(dir);
  const file = path.join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, `${process.pid}\n`);
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      let held = true;
      return () => {
        if (!held) return;
        held = false;
        fs.rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) {
        throw new NvprobeError(`another nvprobe run (pid ${pid}) holds ${file}; ${what} waits for nothing and stops here`, {
          exitCode: ExitCode.failure,
          hint: 'let the other run finish, then try again',
        });
      }
      fs.rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new NvprobeError(`could not take the lock ${file}`);
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

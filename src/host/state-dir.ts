import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExitCode, NvprobeError } from '../errors.js';

/** nvprobe's own state: journal, lock, saved runs. Overridable for tests and unusual layouts. */
export function stateDir(override?: string): string {
  return path.resolve(override ?? process.env.NVPROBE_STATE_DIR ?? '/var/lib/nvprobe');
}

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

/** Alive and not a zombie (a killed process whose parent has not reaped it holds no files any more). */
export function pidRunning(pid: number): boolean {
  if (!pidAlive(pid)) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

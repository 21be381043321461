import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExitCode, NvprobeError, usageError } from '../errors.js';
import { pseudoFilesystem } from './pseudo-fs.js';

export const DEFAULT_STATE_DIR = '/var/lib/nvprobe';

/**
 * nvprobe's own state (journal, saved runs): `--state-dir DIR`, else NVPROBE_STATE_DIR, else
 * /var/lib/nvprobe. Every command resolves it here. Refused (exit 2): a path that exists and is
 * not a directory, one under a file, one on /proc, /sys or another kernel pseudo filesystem.
 * A missing directory is fine: it is created when something is written.
 */
export function stateDir(override?: string): string {
  const env = process.env.NVPROBE_STATE_DIR;
  const source = override !== undefined ? '--state-dir' : env ? 'NVPROBE_STATE_DIR' : null;
  const given = override ?? (env || DEFAULT_STATE_DIR);
  const hint = source ? `give a directory (or a new path) on a real filesystem to ${source}` : undefined;
  const label = source ? `${source} ${given}` : given;
  if (given.trim() === '') throw usageError(`${source}: empty path`, hint);
  if (given.includes('\0')) throw usageError(`${source}: the path holds a NUL byte`, hint);
  const dir = path.resolve(given);
  const { existing, missing } = nearestExisting(dir);
  const st = fs.statSync(existing);
  if (!st.isDirectory()) {
    throw usageError(missing.length ? `${label}: ${existing} is not a directory` : `${label} exists and is not a directory`, hint);
  }
  const fsName = pseudoFilesystem(existing);
  if (fsName) throw usageError(`${label} is on ${fsName}, a kernel pseudo filesystem: nvprobe cannot keep its journal there`, hint);
  return dir;
}

/** The path itself or its nearest ancestor that exists (following links), and the names below it. */
export function nearestExisting(dir: string): { existing: string; missing: string[] } {
  const missing: string[] = [];
  let cur = dir;
  for (;;) {
    try {
      fs.statSync(cur);
      return { existing: cur, missing };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOTDIR: a component is a file; report that component (found further up).
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new NvprobeError(`cannot look at ${cur}: ${code ?? String(err)}`, { cause: err });
      const up = path.dirname(cur);
      if (up === cur) return { existing: cur, missing };
      missing.unshift(path.basename(cur));
      cur = up;
    }
  }
}

/**
 * The state dir a read-only command (check) takes tune's saved runs from: an explicit `--state-dir`
 * must be an existing directory (exit 2 otherwise); the default one (NVPROBE_STATE_DIR or
 * /var/lib/nvprobe) may be missing, which simply means nothing was saved: null.
 */
/** ` --state-dir DIR` for a command hint (quoted for a shell), or nothing when DIR is what a bare command uses. */
export function stateDirFlag(dir: string): string {
  if (dir === stateDir(undefined)) return '';
  return ` --state-dir ${/^[\w./+:@%-]+$/.test(dir) ? dir : `'${dir.replaceAll("'", "'\\''")}'`}`;
}

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

/**
 * Create dir (0700) and any missing parents, one level at a time: Node's recursive mkdir spins
 * forever where the kernel answers ENOENT under an existing parent (procfs).
 */
export function ensureDir(dir: string): void {
  const { existing, missing } = nearestExisting(path.resolve(dir));
  let cur = existing;
  for (const name of missing) {
    cur = path.join(cur, name);
    try {
      fs.mkdirSync(cur, { mode: 0o700 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      if (code === 'EEXIST' && fs.statSync(cur).isDirectory()) continue;
      const bad = code === 'ENOENT' || code === 'ENOTDIR' || code === 'EEXIST';
      throw new NvprobeError(`cannot create the directory ${cur}: ${code}`, {
        exitCode: bad ? ExitCode.usage : ExitCode.failure,
        hint: 'give --state-dir a directory on a writable filesystem',
        cause: err,
      });
    }
  }
  if (!missing.length && !fs.statSync(cur).isDirectory()) throw usageError(`${cur} is not a directory`, 'give --state-dir a directory');
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

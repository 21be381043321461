import * as fs from 'node:fs';
import { ExitCode, NvprobeError, usageError } from '../errors.js';
import { isRoot } from './file-info.js';
import { pseudoFilesystem } from './pseudo-fs.js';
import { stateDir } from './state-dir.js';

/**
 * read: status (must exist when named, must be readable: else exit 3); collect: like read but an
 * unreadable dir is only skipped; revert: must exist when named, must be safe to act on; tune: may be created.
 */
export type StateDirUse = 'read' | 'collect' | 'revert' | 'tune';

const HINT = 'give --state-dir (or NVPROBE_STATE_DIR) a directory on a real filesystem, e.g. the default /var/lib/nvprobe';

/**
 * Resolve and validate nvprobe's state dir before anything else happens (exit 2 when it cannot
 * be one): not on procfs/sysfs/devtmpfs, a directory if it exists, and one that was named
 * explicitly (--state-dir or NVPROBE_STATE_DIR) must exist for commands that only read it.
 * For writing, an existing dir must belong to root or us and not be writable by others: its journal
 * decides what root writes where. Unreadable as an ordinary user: exit 3.
 */
export function checkedStateDir(override: string | undefined, use: StateDirUse): string {
  const dir = stateDir(override);
  const explicit = override !== undefined || process.env.NVPROBE_STATE_DIR !== undefined;
  const name = override !== undefined ? `--state-dir ${override}` : `state dir ${dir}`;
  const pseudo = pseudoFilesystem(dir);
  if (pseudo) throw usageError(`${name} is on ${pseudo}, not a filesystem for nvprobe's journal`, HINT);
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      if (use !== 'tune' && explicit) throw usageError(`${name}: no such directory`, 'check the path; tune creates the state dir on its first run');
      return dir; // tune creates it; read-only commands see no runs
    }
    if (code === 'ENOTDIR') throw usageError(`${name}: a parent of it is not a directory`, HINT);
    if (code === 'ELOOP') throw usageError(`${name}: too many levels of symbolic links (ELOOP)`, HINT);
    if ((code === 'EACCES' || code === 'EPERM') && !isRoot()) {
      if (use === 'collect' || use === 'tune') return dir; // collect skips it; tune needs root anyway, and --dry-run no state
      throw needsRoot(name);
    }
    throw new NvprobeError(`${name}: cannot access it (${code ?? String(err)})`, { exitCode: ExitCode.failure });
  }
  if (!st.isDirectory()) throw usageError(`${name} is not a directory`, HINT);
  // A link to it of another user (/tmp/x -> /etc, planted by anyone): root would create and
  // truncate its lock, journal and runs where that user chose.
  if (use === 'revert' || use === 'tune') {
    const link = fs.lstatSync(dir, { throwIfNoEntry: false });
    const me = process.geteuid?.();
    if (link?.isSymbolicLink() && me !== undefined && link.uid !== 0 && link.uid !== me)
      throw usageError(`${name} is a symbolic link of another user (uid ${link.uid})`, 'give the real path of a directory owned by root or by the user running nvprobe');
  }
  if ((use === 'revert' || use === 'tune') && (st.mode & 0o022) !== 0)
    throw usageError(`${name} is writable by other users; its journal decides what nvprobe writes as root`, 'chmod go-w it, or give a directory only root can write');
  // Read as root too (status, collect): a journal planted in another user's directory would make
  // root read and print the files it names. Refused the way sshd refuses loose permissions.
  if ((use === 'read' || use === 'collect') && isRoot() && ((st.mode & 0o022) !== 0 || st.uid !== 0))
    throw usageError(
      `${name} ${st.uid !== 0 ? `belongs to another user (uid ${st.uid})` : 'is writable by other users'}; root reads only a state dir only root can write`,
      'give a directory owned by root and not writable by group or others',
    );
  // Root's or ours: a dir of another ordinary user could hold links that root then writes through.
  if ((use === 'revert' || use === 'tune') && typeof process.geteuid === 'function' && st.uid !== 0 && st.uid !== process.geteuid())
    throw usageError(`${name} belongs to another user (uid ${st.uid})`, 'give a directory owned by root or by the user running nvprobe');
  if (use === 'read' && !isRoot()) {
    try {
      fs.accessSync(dir, fs.constants.R_OK | fs.constants.X_OK);
      const journal = `${dir}/journal.jsonl`;
      if (fs.existsSync(journal)) fs.accessSync(journal, fs.constants.R_OK);
    } catch {
      throw needsRoot(name);
    }
  }
  return dir;
}

function needsRoot(name: string): NvprobeError {
  return new NvprobeError(`${name} is not readable by this user; nvprobe's journal is root's`, { exitCode: ExitCode.needsRoot, hint: 'rerun as root (e.g. with sudo)' });
}

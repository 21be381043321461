import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExitCode, NvprobeError, usageError } from '../errors.js';
import type { TreeEntry } from './recording-root.js';
import { checkWriteDir } from './safe-create.js';

export interface TreeWriteResult {
  dirs: number;
  files: number;
  links: number;
  /** Paths that were seen but could not be read, so are absent from the copy. */
  skipped: string[];
}

/** Make sure dir can receive a tree: created if absent (its parent must exist); refused (exit 2) if it is a file or holds anything. */
export function prepareEmptyDir(dir: string): void {
  // Its parent must hold it still: in a world-writable dir without the sticky bit anyone could
  // rename our new directory and put a link to /etc in its place while we write into it.
  checkWriteDir(path.dirname(path.resolve(dir)), dir);
  let st: fs.Stats | null = null;
  try {
    st = fs.lstatSync(dir);
  } catch {
    st = null;
  }
  if (st === null) {
    // Not recursive: Node's recursive mkdir spins forever where mkdir gives ENOENT under an
    // existing parent (procfs), and a missing parent is more likely a typo than a wish.
    try {
      fs.mkdirSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      if (code === 'ENOENT')
        throw usageError(`cannot create ${dir}: its parent directory does not exist or takes no new directories (ENOENT)`, 'create the parent first, or give a path in an existing directory');
      // Like -o: a place the user may not write to is a bad path (exit 2), not a failure of nvprobe.
      if (code === 'EACCES' || code === 'EPERM')
        throw usageError(`cannot create ${dir}: no permission to create directories in ${path.dirname(path.resolve(dir))} (${code})`, 'choose a path in a directory you can write to');
      if (code === 'EROFS') throw usageError(`cannot create ${dir}: its filesystem is read-only`, 'choose a path in a directory you can write to');
      throw new NvprobeError(`cannot create ${dir}: ${code}`, { exitCode: ExitCode.failure, hint: 'choose a directory you can write to', cause: err });
    }
    return;
  }
  if (st.isSymbolicLink()) throw usageError(`${dir} is a symlink; nvprobe writes only into real directories`, 'give the path the link points to, or a new directory');
  if (!st.isDirectory()) throw usageError(`${dir} exists and is not a directory`, 'give a new or empty directory');
  // Someone else's empty directory (or one others may write to) could grow links while we write.
  const me = process.geteuid?.() ?? st.uid;
  if (st.uid !== me || (st.mode & 0o022) !== 0) throw usageError(`${dir} is owned by another user or writable by others`, 'give a new directory (nvprobe creates it) or one only you can write to');
  if (fs.readdirSync(dir).length > 0) throw usageError(`${dir} is not empty`, 'give a new or empty directory; nvprobe never overwrites files');
}

/**
 * Write recorded entries under dir (an empty directory): directories, files with the content
 * that was read, and symlinks as relative links so that chains like /sys/block/X →
 * ../devices/... resolve inside the copy.
 */
export function writeTree(dir: string, entries: ReadonlyMap<string, TreeEntry>): TreeWriteResult {
  try {
    return writeEntries(dir, entries);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new NvprobeError(`writing into ${dir} failed: ${code}`, { exitCode: ExitCode.failure, hint: `the copy is incomplete; remove ${dir} and retry`, cause: err });
  }
}

function writeEntries(dir: string, entries: ReadonlyMap<string, TreeEntry>): TreeWriteResult {
  const result: TreeWriteResult = { dirs: 0, files: 0, links: 0, skipped: [] };
  const needed = dirsHoldingSomething(entries);
  for (const key of [...entries.keys()].sort()) {
    const entry = entries.get(key)!;
    // Empty directories are left out: git would drop them from a committed fixture anyway,
    // so a copy must not depend on them.
    if (key === '/' || (entry.kind === 'dir' && !needed.has(key))) continue;
    const host = path.join(dir, key);
    switch (entry.kind) {
      case 'dir':
        fs.mkdirSync(host, { recursive: true });
        result.dirs++;
        break;
      case 'link': {
        fs.mkdirSync(path.dirname(host), { recursive: true });
        const target = entry.target.startsWith('/') ? path.posix.relative(path.posix.dirname(key), entry.target) || '.' : entry.target;
        fs.symlinkSync(target, host);
        result.links++;
        break;
      }
      case 'file':
        fs.mkdirSync(path.dirname(host), { recursive: true });
        fs.writeFileSync(host, entry.content ?? '', { flag: 'wx' }); // O_CREAT|O_EXCL: never through a link
        result.files++;
        break;
      case 'unreadable':
        result.skipped.push(key);
        break;
    }
  }
  return result;
}

/** Directories with a file or link somewhere below them. */
function dirsHoldingSomething(entries: ReadonlyMap<string, TreeEntry>): Set<string> {
  const out = new Set<string>();
  for (const [key, entry] of entries) {
    if (entry.kind !== 'file' && entry.kind !== 'link') continue;
    for (let d = path.posix.dirname(key); d !== '/' && !out.has(d); d = path.posix.dirname(d)) out.add(d);
  }
  return out;
}

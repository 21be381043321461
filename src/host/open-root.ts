import * as fs from 'node:fs';
import { usageError } from '../errors.js';
import { pseudoFilesystem } from './pseudo-fs.js';
import { Root } from './root.js';

const ROOT_HINT = 'point --root at a tree written by `nvprobe snapshot DIR` (it holds sys/ and proc/) or at an extracted bundle';

/** The Root for `--root DIR` (live `/` without it); a DIR that cannot be a captured tree is a usage error (exit 2). */
export function openRoot(dir?: string): Root {
  // --root / is this machine itself.
  if (dir === undefined) return new Root('/');
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw usageError(
      code === 'ENOENT'
        ? `--root ${dir}: no such directory`
        : code === 'ELOOP'
          ? `--root ${dir}: too many levels of symbolic links (ELOOP)`
          : `--root ${dir}: cannot access it (${code ?? String(err)})`,
      ROOT_HINT,
    );
  }
  if (!st.isDirectory()) throw usageError(`--root ${dir} is not a directory`, ROOT_HINT);
  const root = new Root(dir);
  if (root.live) return root;
  const pseudo = pseudoFilesystem(dir);
  if (pseudo) throw usageError(`--root ${dir} is on ${pseudo}, not a captured tree`, ROOT_HINT);
  if (!root.isDir('/sys') && !root.isDir('/proc')) throw usageError(`--root ${dir} holds neither sys/ nor proc/`, ROOT_HINT);
  // What makes a root: the block layer's or the device model's view (sys/block, sys/class), or the kernel's command line (proc/cmdline).
  if (!root.isDir('/sys/block') && !root.isDir('/sys/class') && !root.exists('/proc/cmdline')) {
    throw usageError(`--root ${dir} does not look like a root: it has no sys/block, sys/class or proc/cmdline`, ROOT_HINT);
  }
  return root;
}

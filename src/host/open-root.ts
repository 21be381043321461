import * as fs from 'node:fs';
import { usageError } from '../errors.js';
import { Root } from './root.js';

const ROOT_HINT = 'point --root at a tree written by `nvprobe snapshot DIR` (it holds sys/ and proc/) or at an extracted bundle';

/** The Root for `--root DIR` (live `/` without it); a DIR that cannot be a captured tree is a usage error (exit 2). */
export function openRoot(dir?: string): Root {
  if (dir === undefined) return new Root('/');
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw usageError(code === 'ENOENT' ? `--root ${dir}: no such directory` : `--root ${dir}: cannot access it (${code ?? String(err)})`, ROOT_HINT);
  }
  if (!st.isDirectory()) throw usageError(`--root ${dir} is not a directory`, ROOT_HINT);
  const root = new Root(dir);
  if (!root.isDir('/sys') && !root.isDir('/proc')) throw usageError(`--root ${dir} holds neither sys/ nor proc/`, ROOT_HINT);
  return root;
}

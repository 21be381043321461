import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRegularFile } from './safe-read.js';

export type DirListing = { ok: true; files: string[] } | { ok: false; reason: 'missing' | 'not-a-directory' | 'unreadable'; detail: string };

/**
 * The owner of p when p is a symbolic link that belongs to neither root nor us, else null. Root
 * reading a rules dir someone else wrote must not follow their link to /etc/shadow or
 * /etc/netplan: the error lines would quote its contents (like fs.protected_symlinks, for reads).
 */
function foreignLinkOwner(p: string): number | null {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (!st?.isSymbolicLink()) return null;
  const me = process.geteuid?.();
  return me === undefined || st.uid === 0 || st.uid === me ? null : st.uid;
}

/** Files in DIR whose names end with one of `extensions`, sorted, as full paths. */
export function listFiles(dir: string, extensions: string[]): DirListing {
  try {
    const owner = foreignLinkOwner(dir);
    if (owner !== null) return { ok: false, reason: 'unreadable', detail: `a symbolic link of another user (uid ${owner}), not followed` };
    const st = fs.statSync(dir);
    if (!st.isDirectory()) return { ok: false, reason: 'not-a-directory', detail: 'ENOTDIR' };
    const names = fs.readdirSync(dir).filter((n) => extensions.some((e) => n.endsWith(e)));
    return { ok: true, files: names.sort().map((n) => path.join(dir, n)) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return { ok: false, reason: code === 'ENOENT' ? 'missing' : 'unreadable', detail: code };
  }
}

export type TextRead = { ok: true; text: string } | { ok: false; detail: string };

export function readTextFile(file: string, maxBytes = 4 << 20): TextRead {
  try {
    const owner = foreignLinkOwner(file);
    if (owner !== null) return { ok: false, detail: `a symbolic link of another user (uid ${owner}), not followed` };
    return { ok: true, text: readRegularFile(file, maxBytes).toString('utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTREG' || code === 'EISDIR') return { ok: false, detail: 'not a regular file' };
    if (code === 'EFBIG') return { ok: false, detail: `larger than ${maxBytes} bytes` };
    return { ok: false, detail: (err as NodeJS.ErrnoException).code ?? String(err) };
  }
}

export function pathExists(p: string): boolean {
  return fs.existsSync(p);
}

import * as fs from 'node:fs';
import * as path from 'node:path';

/** Why an attribute could not be read: the tree lacks it, or the kernel refused. */
export type ReadFailure = 'missing' | 'denied' | 'io-error' | 'not-a-file';

export type AttrResult = { ok: true; value: string } | { ok: false; reason: ReadFailure; detail: string };

const MAX_ATTR_BYTES = 1 << 20;

/**
 * The filesystem nvprobe looks at: `/` on a live system, or a captured tree (`--root DIR`,
 * an extracted bundle). Every read of /sys, /proc and /etc goes through here, so that the
 * same detection code runs live and offline. Symlinks in a captured tree are resolved
 * inside it: an absolute or escaping link never leaves DIR.
 */
export class Root {
  readonly dir: string;
  readonly live: boolean;

  constructor(dir = '/') {
    this.dir = path.resolve(dir);
    this.live = this.dir === '/';
  }

  /** Host path of a guest path such as `/sys/block/vda/queue/scheduler`. */
  resolve(guestPath: string): string {
    if (this.live) return path.resolve('/', guestPath);
    return path.join(this.dir, this.confine(guestPath));
  }

  /** Guest path with every symlink followed and kept inside the root. */
  realpath(guestPath: string): string {
    if (this.live) {
      try {
        return fs.realpathSync(guestPath);
      } catch {
        return path.resolve('/', guestPath);
      }
    }
    return this.confine(guestPath);
  }

  readAttr(guestPath: string): AttrResult {
    try {
      const text = fs.readFileSync(this.resolve(guestPath), { encoding: 'utf8' });
      return { ok: true, value: text.length > MAX_ATTR_BYTES ? text.slice(0, MAX_ATTR_BYTES) : text.trim() };
    } catch (err) {
      return { ok: false, ...describeReadError(err) };
    }
  }

  /** The trimmed attribute, or null when it cannot be read for any reason. */
  attr(guestPath: string): string | null {
    const r = this.readAttr(guestPath);
    return r.ok ? r.value : null;
  }

  /** Whole text file (untrimmed), or null. */
  text(guestPath: string): string | null {
    try {
      return fs.readFileSync(this.resolve(guestPath), 'utf8');
    } catch {
      return null;
    }
  }

  list(guestPath: string): string[] {
    try {
      return fs.readdirSync(this.resolve(guestPath)).sort(naturalCompare);
    } catch {
      return [];
    }
  }

  exists(guestPath: string): boolean {
    return fs.existsSync(this.resolve(guestPath));
  }

  isDir(guestPath: string): boolean {
    try {
      return fs.statSync(this.resolve(guestPath)).isDirectory();
    } catch {
      return false;
    }
  }

  /** Target of a symlink as written (relative or absolute), or null. */
  readlink(guestPath: string): string | null {
    try {
      return fs.readlinkSync(this.live ? guestPath : path.join(this.dir, this.confine(path.dirname(guestPath)), path.basename(guestPath)));
    } catch {
      return null;
    }
  }

  /**
   * Walk guestPath component by component inside the root, following symlinks the way the
   * kernel would if DIR were `/`. Returns a normalised guest path (always absolute).
   */
  private confine(guestPath: string, depth = 0): string {
    if (depth > 40) return '/';
    const parts = path.posix.resolve('/', guestPath).split('/').filter(Boolean);
    let current = '/';
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const next = path.posix.join(current, part);
      let target: string | null = null;
      try {
        const host = path.join(this.dir, next);
        if (fs.lstatSync(host).isSymbolicLink()) target = fs.readlinkSync(host);
      } catch {
        // A missing component: the rest cannot be links either.
        return path.posix.join(next, ...parts.slice(i + 1));
      }
      if (target === null) {
        current = next;
        continue;
      }
      const joined = target.startsWith('/') ? target : path.posix.join(current, target);
      current = this.confine(joined, depth + 1);
    }
    return current;
  }
}

export function describeReadError(err: unknown): { reason: ReadFailure; detail: string } {
  const code = (err as NodeJS.ErrnoException)?.code;
  const detail = code ?? String(err);
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
    case 'ENODEV':
    case 'ENXIO':
      return { reason: 'missing', detail };
    case 'EACCES':
    case 'EPERM':
      return { reason: 'denied', detail };
    case 'EISDIR':
      return { reason: 'not-a-file', detail };
    default:
      return { reason: 'io-error', detail };
  }
}

/** Sort so that cpu2 comes before cpu10 and nvme0n2 before nvme0n10. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

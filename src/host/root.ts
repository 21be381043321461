import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRegularFile } from './safe-read.js';
import type { ReadFailure } from '../contracts/detect-document.js';

export type AttrResult = { ok: true; value: string } | { ok: false; reason: ReadFailure; detail: string };

/** What a path is, without following a final symlink. */
export type PathKind = 'file' | 'dir' | 'link' | 'other' | 'missing';

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
  /** Captured trees only: symlink target (or null) of each path component seen, see linkTarget(). */
  private readonly links = new Map<string, string | null>();

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
      const text = this.readRaw(guestPath);
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

  /** Whole text file (untrimmed), or why it could not be read. */
  readText(guestPath: string): AttrResult {
    try {
      return { ok: true, value: this.readRaw(guestPath) };
    } catch (err) {
      return { ok: false, ...describeReadError(err) };
    }
  }

  /** Whole text file (untrimmed), or null. */
  text(guestPath: string): string | null {
    try {
      return this.readRaw(guestPath);
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

  /** What guestPath is (intermediate links followed, a final link reported as 'link'). */
  kind(guestPath: string): PathKind {
    try {
      const st = fs.lstatSync(this.live ? path.resolve('/', guestPath) : path.join(this.dir, this.confine(path.posix.dirname(path.posix.resolve('/', guestPath))), path.posix.basename(guestPath)));
      if (st.isSymbolicLink()) return 'link';
      if (st.isDirectory()) return 'dir';
      if (st.isFile()) return 'file';
      return 'other';
    } catch {
      return 'missing';
    }
  }

  /** The whole file as the OS returns it; throws the fs error. Subclasses observe reads here. */
  protected readRaw(guestPath: string): string {
    // A captured tree is anyone's: a FIFO or device planted at proc/cmdline must not block us.
    // And a huge file there (a 2 GB "cpuinfo") must not take seconds and memory per read: no
    // sysfs or procfs file detect reads comes near the limit.
    if (!this.live) return readRegularFile(this.resolve(guestPath), MAX_TREE_FILE_BYTES).toString('utf8');
    return fs.readFileSync(this.resolve(guestPath), 'utf8');
  }

  /**
   * Symlink target of a guest path in a captured tree: a string for a link, null for anything
   * else that exists, undefined when missing. Existing entries are remembered: a captured tree is
   * read as immutable, and re-walking every component dominated detect's time on large trees.
   */
  private linkTarget(guestPath: string): string | null | undefined {
    const hit = this.links.get(guestPath);
    if (hit !== undefined) return hit;
    const host = path.join(this.dir, guestPath);
    const st = fs.lstatSync(host, { throwIfNoEntry: false });
    if (st === undefined) return undefined;
    const target = st.isSymbolicLink() ? fs.readlinkSync(host) : null;
    this.links.set(guestPath, target);
    return target;
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
      const target = this.linkTarget(next);
      // A missing component: the rest cannot be links either.
      if (target === undefined) return path.posix.join(next, ...parts.slice(i + 1));
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

/** Largest file read from a captured tree (/proc/interrupts of a 1000-CPU guest is a few MiB). */
export const MAX_TREE_FILE_BYTES = 16 * 1024 * 1024;

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
    case 'ENOTREG':
      return { reason: 'not-a-file', detail };
    default:
      return { reason: 'io-error', detail };
  }
}

/** Sort so that cpu2 comes before cpu10 and nvme0n2 before nvme0n10. */
export function naturalCompare(a: string, b: string): number {
  return NATURAL.compare(a, b);
}

// One collator for all comparisons: localeCompare() builds one per call.
const NATURAL = new Intl.Collator('en', { numeric: true });

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Root } from './root.js';

/** One node of a recorded tree, keyed by its canonical guest path (no symlink among its parents). */
export type TreeEntry =
  | { kind: 'dir' }
  | { kind: 'link'; target: string }
  /** content null: the file was seen (exists, listed) but not read. */
  | { kind: 'file'; content: string | null }
  /** The file exists but reading it failed: it cannot be reproduced. */
  | { kind: 'unreadable'; detail: string };

/**
 * A Root that remembers every path it was asked about, the symlinks on the way and the exact
 * content it returned, so that the same reads can be replayed from a copy (`nvprobe snapshot`).
 * Reads behave exactly as Root's; recording costs an lstat per new path component.
 */
export class RecordingRoot extends Root {
  readonly entries = new Map<string, TreeEntry>();
  private readonly seen = new Map<string, fs.Stats | null>();

  override readAttr(guestPath: string) {
    this.record(guestPath);
    return super.readAttr(guestPath);
  }

  override readText(guestPath: string) {
    this.record(guestPath);
    return super.readText(guestPath);
  }

  override text(guestPath: string) {
    this.record(guestPath);
    return super.text(guestPath);
  }

  override list(guestPath: string): string[] {
    const dir = this.record(guestPath);
    const names = super.list(guestPath);
    // Listed subdirectories and links are kept so that the listing replays; files only when read.
    for (const name of names) this.recordOne(path.posix.join(dir, name), false);
    return names;
  }

  override exists(guestPath: string): boolean {
    this.record(guestPath);
    return super.exists(guestPath);
  }

  override isDir(guestPath: string): boolean {
    this.record(guestPath);
    return super.isDir(guestPath);
  }

  override readlink(guestPath: string): string | null {
    this.record(guestPath);
    return super.readlink(guestPath);
  }

  override realpath(guestPath: string): string {
    this.record(guestPath);
    return super.realpath(guestPath);
  }

  override kind(guestPath: string) {
    this.record(guestPath);
    return super.kind(guestPath);
  }

  protected override readRaw(guestPath: string): string {
    const canonical = this.record(guestPath);
    try {
      const content = super.readRaw(guestPath);
      this.entries.set(canonical, { kind: 'file', content });
      return content;
    } catch (err) {
      if (this.entries.get(canonical)?.kind === 'file') this.entries.set(canonical, { kind: 'unreadable', detail: String((err as NodeJS.ErrnoException).code ?? err) });
      throw err;
    }
  }

  /**
   * Walk guestPath component by component, recording directories, links (and their targets'
   * chains); returns the canonical path. Missing components end the walk.
   */
  private record(guestPath: string, depth = 0): string {
    const parts = path.posix.resolve('/', guestPath).split('/').filter(Boolean);
    let current = '/';
    for (let i = 0; i < parts.length; i++) {
      const next = path.posix.join(current, parts[i]!);
      const st = this.recordOne(next);
      if (st === null) return path.posix.join(next, ...parts.slice(i + 1));
      const entry = this.entries.get(next);
      if (entry?.kind === 'link' && depth < 40) {
        const target = entry.target.startsWith('/') ? entry.target : path.posix.join(current, entry.target);
        current = this.record(target, depth + 1);
      } else {
        current = next;
      }
    }
    return current;
  }

  /** lstat one canonical path (memoised) and record what it is; plain files only when keepFiles. */
  private recordOne(canonical: string, keepFiles = true): fs.Stats | null {
    let st = this.seen.get(canonical);
    if (st === undefined) {
      try {
        st = fs.lstatSync(this.hostPath(canonical));
      } catch {
        st = null;
      }
      this.seen.set(canonical, st);
    }
    if (st === null || this.entries.has(canonical)) return st;
    if (st.isSymbolicLink()) {
      const target = fs.readlinkSync(this.hostPath(canonical));
      // /proc/self and /proc/thread-self point at a pid: keep them as plain directories.
      if (canonical.startsWith('/proc/') && /^\d+(\/task\/\d+)?$/.test(target)) this.entries.set(canonical, { kind: 'dir' });
      else this.entries.set(canonical, { kind: 'link', target });
    } else if (st.isDirectory()) {
      this.entries.set(canonical, { kind: 'dir' });
    } else if (keepFiles) {
      this.entries.set(canonical, { kind: 'file', content: null });
    }
    return st;
  }

  private hostPath(canonical: string): string {
    return this.live ? canonical : path.join(this.dir, canonical);
  }
}

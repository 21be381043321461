import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where tracefs lives on every kernel nvprobe supports (4.1+); the debugfs path is its old alias. */
export const TRACEFS_DIR = '/sys/kernel/tracing';
const LEGACY_DIR = '/sys/kernel/debug/tracing';
/**
 * The mount source nvprobe gives tracefs when it mounts it itself ("nodev" or "tracefs" when
 * anyone else does): a later nvprobe, after a kill -9, can still tell the mount is its own.
 */
export const NVPROBE_MOUNT_SOURCE = 'nvprobe';

export interface TracefsMount {
  dir: string;
  /** The mount source as /proc/self/mounts shows it. */
  source: string;
}

/** The mounted tracefs, if any (the /sys/kernel/tracing mount first). */
export function findTracefs(mounts = readMounts()): TracefsMount | null {
  const found = mounts.filter((m) => m.fsType === 'tracefs');
  const preferred = found.find((m) => m.dir === TRACEFS_DIR) ?? found.find((m) => m.dir === LEGACY_DIR) ?? found[0];
  return preferred ? { dir: preferred.dir, source: preferred.source } : null;
}

function readMounts(): Array<{ source: string; dir: string; fsType: string }> {
  let text: string;
  try {
    text = fs.readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [source = '', dir = '', fsType = ''] = l.split(' ');
      return { source, dir: dir.replace(/\\040/g, ' '), fsType };
    });
}

/** Whether this kernel knows tracefs at all (CONFIG_TRACING). */
export function kernelHasTracefs(): boolean {
  try {
    return /\ttracefs$/m.test(fs.readFileSync('/proc/filesystems', 'utf8'));
  } catch {
    return false;
  }
}

/** mount -t tracefs nvprobe /sys/kernel/tracing; throws with mount's own words on failure. */
export function mountTracefs(): TracefsMount {
  try {
    execFileSync('mount', ['-t', 'tracefs', NVPROBE_MOUNT_SOURCE, TRACEFS_DIR], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  } catch (err) {
    const e = err as { stderr?: Buffer | string; message: string };
    throw new Error(
      String(e.stderr ?? e.message)
        .trim()
        .split('\n')[0] ?? 'mount failed',
    );
  }
  return { dir: TRACEFS_DIR, source: NVPROBE_MOUNT_SOURCE };
}

/** umount DIR; false (and the mount kept) when it is busy or refused. */
export function unmountTracefs(dir: string): boolean {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** One tracefs directory (the top, or an instance): text attributes in, text and raw pages out. */
export class TracefsDir {
  constructor(readonly dir: string) {}

  path(rel: string): string {
    return path.join(this.dir, rel);
  }

  exists(rel: string): boolean {
    return fs.existsSync(this.path(rel));
  }

  read(rel: string): string {
    return fs.readFileSync(this.path(rel), 'utf8');
  }

  /** Write an attribute (one write(2), as the kernel parses it); throws the errno error. */
  write(rel: string, value: string): void {
    fs.writeFileSync(this.path(rel), value);
  }

  list(rel: string): string[] {
    try {
      return fs.readdirSync(this.path(rel));
    } catch {
      return [];
    }
  }

  /** mkdir of a new instance: EEXIST when the name is taken. */
  makeInstance(name: string): TracefsDir {
    fs.mkdirSync(this.path(`instances/${name}`));
    return new TracefsDir(this.path(`instances/${name}`));
  }

  /** rmdir of an instance (the kernel disables its events and frees its buffers); ENOENT is success. */
  removeInstance(name: string): void {
    try {
      fs.rmdirSync(this.path(`instances/${name}`));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  /** A CPU's binary ring buffer, opened non-blocking: `readPage` returns 0 bytes when it is empty. */
  openRawPipe(cpu: number): RawPipe {
    return new RawPipe(fs.openSync(this.path(`per_cpu/cpu${cpu}/trace_pipe_raw`), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
  }
}

export class RawPipe {
  private closed = false;
  constructor(private readonly fd: number) {}

  /** One sub-buffer page into `buf`; 0 when nothing is buffered. */
  readPage(buf: Buffer): number {
    try {
      return fs.readSync(this.fd, buf, 0, buf.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EINTR') return 0;
      throw err;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }
}

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';

const DIR = '/sys/kernel/tracing';

/** Why a tracing test cannot apply here, or null. */
export function tracingUnavailable(): string | null {
  if (process.geteuid?.() !== 0) return 'kernel tracing needs root';
  if (!/\ttracefs$/m.test(readFileSync('/proc/filesystems', 'utf8'))) return 'this kernel has no tracefs';
  return null;
}

export function tracefsMounted(): boolean {
  return readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[2] === 'tracefs');
}

export function nvprobeInstances(): string[] {
  return existsSync(`${DIR}/instances`) ? readdirSync(`${DIR}/instances`).filter((n) => n.startsWith('nvprobe-')) : [];
}

/** Events switched on in the top-level instance (a user's own tracing), as `set_event` lists them. */
export function topLevelEvents(): string {
  return existsSync(`${DIR}/set_event`) ? readFileSync(`${DIR}/set_event`, 'utf8') : '';
}

/**
 * Put tracefs back as the test found it: nvprobe instances the test left removed, and tracefs
 * unmounted only when it was not mounted before the test.
 */
export function restoreTracefs(wasMounted: boolean, keep: string[] = []): void {
  for (const n of nvprobeInstances()) {
    if (keep.includes(n)) continue;
    try {
      rmdirSync(`${DIR}/instances/${n}`);
    } catch {
      // busy: a live reader; nothing more to do here
    }
  }
  if (!wasMounted && tracefsMounted()) {
    try {
      execFileSync('umount', [DIR]);
    } catch {
      // busy: leave it mounted
    }
  }
}

export function mountTracefsForTest(): void {
  if (!tracefsMounted()) execFileSync('mount', ['-t', 'tracefs', 'nodev', DIR]);
}

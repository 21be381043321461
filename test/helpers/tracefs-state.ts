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
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[2] === 'tracefs');
}

export function nvprobeInstances(): string[] {
  return existsSync(`${DIR}/instances`) ? readdirSync(`${DIR}/instances`).filter((n) => n.startsWith('nvprobe-')) : [];
}

/** Events switched on in the top-level instance (a user's own tracing), as `set_event` lists them. */
export function topLevelEvents(): string {
  return existsSync(`${DIR}/set_event`) ? readFileSync(`${DIR}/set_event`, 'utf8') : '';
}

/** Whether a process with this pid exists (signal 0: EPERM means it does). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Put tracefs back as the test found it: nvprobe instances the test left removed, and tracefs
 * unmounted only when it was not mounted before the test and no instance is left. Instances of
 * live processes other than this one (another nvprobe running on the machine) are left alone.
 */
export function restoreTracefs(wasMounted: boolean, keep: string[] = []): void {
  for (const n of nvprobeInstances()) {
    const pid = Number(n.slice('nvprobe-'.length));
    if (keep.includes(n) || (pid !== process.pid && alive(pid))) continue;
    try {
      rmdirSync(`${DIR}/instances/${n}`);
    } catch {
      // busy: a live reader; nothing more to do here
    }
  }
  if (!wasMounted && tracefsMounted() && nvprobeInstances().length === 0) {
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

import * as fs from 'node:fs';
import * as path from 'node:path';

/** statfs f_type of kernel filesystems that are views, not storage (linux/magic.h). */
const PSEUDO_TYPES = new Map<number, string>([
  [0x9fa0, 'procfs'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x73636673, 'securityfs'],
  [0x6e736673, 'nsfs'],
  [0xcafe4a11, 'bpf'],
  [0x42494e4d, 'binfmt_misc'],
  [0x67596969, 'configfs'],
]);

/** Places of the live system that are kernel views even where statfs cannot tell (devtmpfs says tmpfs). */
const PSEUDO_PREFIXES = ['/proc', '/sys', '/dev'];

/**
 * The kernel filesystem `p` (or its nearest existing parent) lives on, when it is a pseudo
 * filesystem where nvprobe must never create directories or files (Node's recursive mkdir
 * spins forever on procfs); null for ordinary filesystems.
 */
export function pseudoFilesystem(p: string): string | null {
  let cur = path.resolve(p);
  for (;;) {
    let real: string | null = null;
    try {
      real = fs.realpathSync(cur);
    } catch {
      real = null;
    }
    if (real !== null) {
      const prefix = PSEUDO_PREFIXES.find((x) => real === x || real!.startsWith(`${x}/`));
      if (prefix) return prefix === '/dev' ? 'devtmpfs' : prefix === '/proc' ? 'procfs' : 'sysfs';
      try {
        const type = Number(fs.statfsSync(real).type);
        return PSEUDO_TYPES.get(type) ?? null;
      } catch {
        return null;
      }
    }
    const parent = path.dirname(cur);
    if (parent === cur) return null;
    cur = parent;
  }
}

/** statfs f_type of tmpfs and ramfs: files there live in memory. */
export function memoryFilesystem(p: string): string | null {
  try {
    const type = Number(fs.statfsSync(p).type);
    return type === 0x01021994 ? 'tmpfs' : type === 0x858458f6 ? 'ramfs' : null;
  } catch {
    return null;
  }
}

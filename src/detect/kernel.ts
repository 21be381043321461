import { parseCmdline } from './cmdline.js';
import type { SysReader } from './reader.js';
import type { KernelVersion, KernelInfo } from '../contracts/detect-system.js';

export function detectKernel(r: SysReader): KernelInfo {
  const release = r.attr('/proc/sys/kernel/osrelease');
  const cmdlineText = r.attr('/proc/cmdline');
  return {
    release,
    version: release === null ? null : parseKernelVersion(release),
    build: r.attr('/proc/sys/kernel/version'),
    cmdline: cmdlineText === null ? null : parseCmdline(cmdlineText),
    ioUringDisabled: r.int('/proc/sys/kernel/io_uring_disabled', true),
  };
}

/** "6.18.44-fc-v595" → 6.18.44; "6.1" → 6.1.0; anything else → null. */
export function parseKernelVersion(release: string): KernelVersion | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: m[3] === undefined ? 0 : Number(m[3]) };
}

/**
 * Is the running kernel at least `min` ("5.19", "6.1.12")? null when the version is unknown.
 * Accepts the Snapshot's kernel section or a bare version.
 */
export function kernelAtLeast(kernel: Pick<KernelInfo, 'version'> | KernelVersion | null, min: string): boolean | null {
  const have = kernel === null ? null : 'major' in kernel ? kernel : kernel.version;
  const want = parseKernelVersion(min);
  if (want === null) throw new RangeError(`not a kernel version: ${JSON.stringify(min)}`);
  if (have === null) return null;
  return compareKernelVersions(have, want) >= 0;
}

/** Negative, zero or positive as a is older than, the same as or newer than b. */
export function compareKernelVersions(a: KernelVersion, b: KernelVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

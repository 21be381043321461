import type { KernelVersion } from '../contracts/detect-system.js';

/**
 * Kernel version numbers and their comparison: plain arithmetic on a release string, below
 * detect (which reads the release) so that io and measure can ask "at least 5.6?" without it.
 */
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
export function kernelAtLeast(kernel: { version: KernelVersion | null } | KernelVersion | null, min: string): boolean | null {
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

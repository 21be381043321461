import { parseCmdline, type KernelCmdline } from './cmdline.js';
import { type KernelVersion, parseKernelVersion } from '../host/kernel-version.js';
import type { SysReader } from './reader.js';

export interface KernelInfo {
  /** `uname -r`, e.g. "6.18.44-fc-v595" or "5.14.0-427.el9.x86_64". */
  release: string | null;
  /** The numeric prefix of release. Distribution kernels backport: treat it as a floor, not the truth. */
  version: KernelVersion | null;
  /** `uname -v`, e.g. "#1 SMP PREEMPT_DYNAMIC ..." (tells the preemption model). */
  build: string | null;
  cmdline: KernelCmdline | null;
  /** kernel.io_uring_disabled: 0 allowed, 1 only for io_uring_group, 2 disabled; null when the sysctl does not exist (before 6.6). */
  ioUringDisabled: number | null;
}

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

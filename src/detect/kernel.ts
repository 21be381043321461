import { parseCmdline } from './cmdline.js';
import { parseKernelVersion } from '../host/kernel-version.js';
import type { SysReader } from './reader.js';
import type { KernelInfo } from '../contracts/detect-system.js';

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

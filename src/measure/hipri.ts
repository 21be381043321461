import { kernelAtLeast, parseKernelVersion } from '../host/kernel-version.js';
import type { HipriVerdict } from '../contracts/probe-document.js';

/** The running kernel as the probe needs it: its release string and parsed version. */
export interface KernelVersion {
  release: string;
  major: number;
  minor: number;
  patch: number;
}

export interface QueuePolling {
  disk: string;
  /** queue/io_poll: the queue has poll queues to complete polled I/O on; null when unreadable. */
  ioPoll: boolean | null;
}

/**
 * RWF_HIPRI on synchronous preadv2 stopped polling in Linux 5.19 (commit 9650b453a3d4, "block:
 * ignore RWF_HIPRI hint for sync dio"), backported to RHEL 9.1 (5.14.0-114.el9). Before that,
 * it polled only where the queue had poll queues; otherwise the block layer drops REQ_POLLED.
 */
export function hipriIgnoredBySyncDio(k: KernelVersion): boolean {
  if (kernelAtLeast(k, '5.19')) return true;
  const rhel = /^5\.14\.0-(\d+)\..*el9/.exec(k.release);
  return rhel !== null && Number(rhel[1]) >= 114;
}

export function decideHipri(requested: boolean, kernel: KernelVersion, queue: QueuePolling | null): HipriVerdict {
  if (!requested) return { requested, effective: false, reason: 'not requested (--no-hipri): completions by interrupt' };
  if (hipriIgnoredBySyncDio(kernel)) {
    return {
      requested,
      effective: false,
      reason: `kernel ${kernel.release} ignores RWF_HIPRI for synchronous O_DIRECT reads (since 5.19): completions by interrupt; truly polled QD1 needs io_uring with IOPOLL`,
    };
  }
  if (!queue) return { requested, effective: false, reason: 'the target is not on a block device nvprobe can inspect: polling cannot be confirmed' };
  if (queue.ioPoll === null) return { requested, effective: false, reason: `${queue.disk}: queue/io_poll unreadable: polling cannot be confirmed` };
  if (!queue.ioPoll) {
    return { requested, effective: false, reason: `${queue.disk} has no poll queues (queue/io_poll=0): the block layer completes HIPRI reads by interrupt` };
  }
  return { requested, effective: true, reason: `kernel ${kernel.release} < 5.19 and ${queue.disk} has poll queues (queue/io_poll=1)` };
}

export function parseKernelRelease(release: string): KernelVersion {
  const v = parseKernelVersion(release);
  return { release, major: v?.major ?? 0, minor: v?.minor ?? 0, patch: v?.patch ?? 0 };
}

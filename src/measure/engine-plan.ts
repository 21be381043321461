import type { EngineChoice, HipriVerdict, PolledVerdict } from '../contracts/probe-document.js';
import type { QueuePolling } from './hipri.js';

/** Which engine to open, before anything is opened. */
export type EnginePlan = { engine: 'psync2'; why: string } | { engine: 'io_uring'; iopoll: boolean; why: string };

export const HIPRI_NOT_USED: HipriVerdict = { requested: false, effective: false, reason: 'not used by the io_uring engine' };

/**
 * auto: io_uring with IORING_SETUP_IOPOLL where the disk's queue has poll queues (the only
 * way to a truly polled QD1 read since 5.19), else psync2 as before; --no-hipri asks for
 * psync2. io_uring: IOPOLL where the queue polls, otherwise interrupt completion.
 */
export function planEngine(choice: EngineChoice, queue: QueuePolling | null, hipri: boolean): EnginePlan {
  const polls = queue?.ioPoll === true;
  if (choice === 'psync2') return { engine: 'psync2', why: '--engine psync2' };
  if (choice === 'io_uring') return { engine: 'io_uring', iopoll: polls, why: '--engine io_uring' };
  if (!hipri) return { engine: 'psync2', why: 'auto: --no-hipri is a psync2 setting' };
  if (polls) return { engine: 'io_uring', iopoll: true, why: `auto: ${queue!.disk} has poll queues (queue/io_poll=1)` };
  return { engine: 'psync2', why: `auto: ${queueWords(queue)}` };
}

/** The verdict for an io_uring engine that was opened with or without IOPOLL. */
export function ioUringPolled(queue: QueuePolling | null, iopoll: boolean): PolledVerdict {
  if (iopoll) return { polled: true, reason: `IORING_SETUP_IOPOLL on ${queue?.disk ?? 'the target'} which has poll queues (queue/io_poll=1)` };
  return { polled: false, reason: `${queueWords(queue)}: interrupt completion` };
}

/** IOPOLL was asked for because the queue claims poll queues, but the kernel refused the reads. */
export function ioUringIopollRefused(queue: QueuePolling | null, code: string): PolledVerdict {
  return {
    polled: false,
    reason: `IORING_SETUP_IOPOLL reads of ${queue?.disk ?? 'the target'} were refused (${code}) although queue/io_poll=1 (the filesystem or a stacked driver cannot poll): interrupt completion`,
  };
}

/** psync2 polls exactly when RWF_HIPRI is effective. */
export function psync2Polled(hipri: HipriVerdict): PolledVerdict {
  return { polled: hipri.effective, reason: hipri.reason };
}

function queueWords(queue: QueuePolling | null): string {
  if (!queue) return 'the target is not on a block device nvprobe can inspect';
  if (queue.ioPoll === null) return `${queue.disk}: queue/io_poll unreadable, polling not attempted`;
  return queue.ioPoll ? `${queue.disk} has poll queues (queue/io_poll=1)` : `${queue.disk} has no poll queues (queue/io_poll=0)`;
}

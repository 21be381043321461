import type { EngineDescriptor } from '../io/engine.js';
import { autoEngine, engineDescriptor } from '../io/engines.js';
import type { QueuePolling } from './hipri.js';
import type { PolledVerdict, HipriVerdict, EngineChoice, EngineName } from '../contracts/probe-document.js';

/** Which engine to open, and whether to ask it to poll, before anything is opened. */
export interface EnginePlan {
  engine: EngineName;
  /** Ask for polled completion by the engine's own means (its descriptor's `polling`). */
  poll: boolean;
  why: string;
}

/** The hipri verdict of an engine that does not poll by RWF_HIPRI. */
export function hipriNotUsed(engine: EngineName): HipriVerdict {
  return { requested: false, effective: false, reason: `not used by the ${engine} engine` };
}

/**
 * auto: the engine that polls where the disk's queue has poll queues (io_uring with
 * IORING_SETUP_IOPOLL: the only way to a truly polled QD1 read since 5.19), else the fallback
 * (psync2); --no-hipri asks for the fallback. An engine by name: polling as its descriptor says.
 */
export function planEngine(choice: EngineChoice, queue: QueuePolling | null, hipri: boolean): EnginePlan {
  const plan = (d: EngineDescriptor, why: string): EnginePlan => ({ engine: d.name, poll: asksToPoll(d, queue, hipri), why });
  if (choice !== 'auto') return plan(engineDescriptor(choice), `--engine ${choice}`);
  const fallback = autoEngine('otherwise');
  if (!hipri) return plan(fallback, `auto: --no-hipri is a ${fallback.name} setting`);
  const polling = autoEngine('where-queue-polls');
  if (polling && queue?.ioPoll === true) return plan(polling, `auto: ${queue.disk} has poll queues (queue/io_poll=1)`);
  return plan(fallback, `auto: ${queueWords(queue)}`);
}

/** RWF_HIPRI is asked for whenever the user leaves it on; IOPOLL only where the queue can poll (elsewhere reads fail). */
export function asksToPoll(d: EngineDescriptor, queue: QueuePolling | null, hipri: boolean): boolean {
  if (d.polling === 'RWF_HIPRI') return hipri;
  if (d.polling === 'IORING_SETUP_IOPOLL') return queue?.ioPoll === true;
  return false;
}

/** The verdict for an engine that polls by IORING_SETUP_IOPOLL, opened with or without it. */
export function iopollVerdict(queue: QueuePolling | null, iopoll: boolean): PolledVerdict {
  if (iopoll) return { polled: true, reason: `IORING_SETUP_IOPOLL on ${queue?.disk ?? 'the target'} which has poll queues (queue/io_poll=1)` };
  return { polled: false, reason: `${queueWords(queue)}: interrupt completion` };
}

/** IOPOLL was asked for because the queue claims poll queues, but the kernel refused the reads. */
export function iopollRefused(queue: QueuePolling | null, code: string): PolledVerdict {
  return {
    polled: false,
    reason: `IORING_SETUP_IOPOLL reads of ${queue?.disk ?? 'the target'} were refused (${code}) although queue/io_poll=1 (the filesystem or a stacked driver cannot poll): interrupt completion`,
  };
}

/** An engine that polls by RWF_HIPRI polls exactly when RWF_HIPRI is effective. */
export function hipriPolled(hipri: HipriVerdict): PolledVerdict {
  return { polled: hipri.effective, reason: hipri.reason };
}

/** An engine without a way to poll. */
export function neverPolled(engine: EngineName): PolledVerdict {
  return { polled: false, reason: `the ${engine} engine cannot poll: interrupt completion` };
}

function queueWords(queue: QueuePolling | null): string {
  if (!queue) return 'the target is not on a block device nvprobe can inspect';
  if (queue.ioPoll === null) return `${queue.disk}: queue/io_poll unreadable, polling not attempted`;
  return queue.ioPoll ? `${queue.disk} has poll queues (queue/io_poll=1)` : `${queue.disk} has no poll queues (queue/io_poll=0)`;
}

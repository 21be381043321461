import type { EngineDescriptor, IoEngine } from '../io/engine.js';
import { autoEngine, engineDescriptor } from '../io/engines.js';
import { explainIoUringError, IoUringError, type IoUringHostFacts } from '../io/io-uring-errors.js';
import { asksToPoll, hipriNotUsed, hipriPolled, iopollRefused, iopollVerdict, neverPolled, planEngine } from './engine-plan.js';
import { decideHipri, type KernelVersion, type QueuePolling } from './hipri.js';
import { ERRNO } from '../native/native-error.js';
import type { HipriVerdict, PolledVerdict, EngineChoice } from '../contracts/probe-document.js';

export interface ProbeEngineRequest {
  choice: EngineChoice;
  path: string;
  blockSize: number;
  /** Engines that poll by RWF_HIPRI: pass it (false: --no-hipri). */
  hipri: boolean;
  /** The queue serving the target; null when the target is not on an inspectable block device. */
  queue: QueuePolling | null;
  kernel: KernelVersion;
  /** The host's io_uring sysctls; read only when io_uring fails, to say why. */
  ioUringSysctls: () => Pick<IoUringHostFacts, 'ioUringDisabled' | 'ioUringGroup'>;
}

/** An open engine and the honest account of how it completes reads (report field `engine`). */
export interface OpenedEngine {
  engine: IoEngine;
  /** The engine's descriptor: what traces and reports it. */
  descriptor: EngineDescriptor;
  requested: EngineChoice;
  /** Why this engine (and polling or not) was chosen. */
  selection: string;
  polled: PolledVerdict;
  hipri: HipriVerdict;
  /** auto wanted another engine, which could not be used here. */
  fallbackReason: string | null;
}

/**
 * Open the engine `--engine` asks for. auto falls back to its fallback engine when io_uring cannot
 * be set up (and says so); an engine asked for by name never silently becomes another: it fails
 * with the reason, except that refused IOPOLL reads fall back to interrupt completion, reported.
 */
export function openProbeEngine(req: ProbeEngineRequest): OpenedEngine {
  const plan = planEngine(req.choice, req.queue, req.hipri);
  const planned = engineDescriptor(plan.engine);
  try {
    return openDescribed(req, planned, plan.poll, plan.why, null);
  } catch (err) {
    if (!(err instanceof IoUringError)) throw err;
    const why = explainIoUringError(err, { ...req.ioUringSysctls(), kernel: req.kernel, disk: req.queue?.disk ?? null });
    if (req.choice !== 'auto') throw why;
    const fallback = autoEngine('otherwise');
    const reason = `${planned.name} could not be used: ${why.message}; measured with ${fallback.name} instead`;
    return openDescribed(req, fallback, asksToPoll(fallback, req.queue, req.hipri), plan.why, reason);
  }
}

function openDescribed(req: ProbeEngineRequest, d: EngineDescriptor, poll: boolean, selection: string, fallbackReason: string | null): OpenedEngine {
  const opened = (engine: IoEngine, v: { polled: PolledVerdict; hipri: HipriVerdict }): OpenedEngine => ({ engine, descriptor: d, requested: req.choice, selection, ...v, fallbackReason });
  try {
    return opened(d.open(req, { poll }), verdicts(req, d, poll));
  } catch (err) {
    // The queue claims poll queues but the kernel refuses polled reads (a filesystem or stacked
    // driver without iopoll). Asked for by name: measure it interrupt-completed.
    const refused = poll && d.polling === 'IORING_SETUP_IOPOLL' && err instanceof IoUringError && err.stage === 'first-read' && err.errno === ERRNO.EOPNOTSUPP;
    if (!refused || req.choice !== d.name) throw err;
    return opened(d.open(req, { poll: false }), { polled: iopollRefused(req.queue, err.code), hipri: hipriNotUsed(d.name) });
  }
}

/** Whether the reads poll, by the engine's means of polling (its descriptor's `polling`). */
function verdicts(req: ProbeEngineRequest, d: EngineDescriptor, poll: boolean): { polled: PolledVerdict; hipri: HipriVerdict } {
  if (d.polling === 'RWF_HIPRI') {
    const hipri = decideHipri(req.hipri, req.kernel, req.queue);
    return { polled: hipriPolled(hipri), hipri };
  }
  if (d.polling === 'IORING_SETUP_IOPOLL') return { polled: iopollVerdict(req.queue, poll), hipri: hipriNotUsed(d.name) };
  return { polled: neverPolled(d.name), hipri: hipriNotUsed(d.name) };
}

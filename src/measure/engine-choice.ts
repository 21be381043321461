import type { IoEngine } from '../io/engine.js';
import type { EngineChoice, PolledVerdict, HipriVerdict } from '../contracts/probe-document.js';
import { IO_URING } from '../io/io-uring.js';
import { explainIoUringError, IoUringError, type IoUringHostFacts } from '../io/io-uring-errors.js';
import { PSYNC2 } from '../io/psync2.js';
import { HIPRI_NOT_USED, ioUringIopollRefused, ioUringPolled, planEngine, psync2Polled } from './engine-plan.js';
import { decideHipri, type KernelVersion, type QueuePolling } from './hipri.js';
import { ERRNO } from '../native/native-error.js';

export interface ProbeEngineRequest {
  choice: EngineChoice;
  path: string;
  blockSize: number;
  /** psync2: pass RWF_HIPRI (false: --no-hipri). */
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
  requested: EngineChoice;
  /** Why this engine (and IOPOLL or not) was chosen. */
  selection: string;
  polled: PolledVerdict;
  hipri: HipriVerdict;
  /** auto wanted io_uring but io_uring could not be used here. */
  fallbackReason: string | null;
}

/**
 * Open the engine `--engine` asks for. auto falls back to psync2 when io_uring cannot be set up
 * (and says so); an explicit `--engine io_uring` never silently becomes psync2: it fails with
 * the reason, except that refused IOPOLL reads fall back to interrupt completion, reported.
 */
export function openProbeEngine(req: ProbeEngineRequest): OpenedEngine {
  const plan = planEngine(req.choice, req.queue, req.hipri);
  if (plan.engine === 'psync2') return openPsync2(req, plan.why, null);
  try {
    return openIoUring(req, plan.iopoll, plan.why);
  } catch (err) {
    if (!(err instanceof IoUringError)) throw err;
    const why = explainIoUringError(err, { ...req.ioUringSysctls(), kernel: req.kernel, disk: req.queue?.disk ?? null });
    if (req.choice === 'io_uring') throw why;
    return openPsync2(req, plan.why, `io_uring could not be used: ${why.message}; measured with psync2 instead`);
  }
}

function openIoUring(req: ProbeEngineRequest, iopoll: boolean, selection: string): OpenedEngine {
  const opened = (engine: IoEngine, polled: PolledVerdict): OpenedEngine => ({
    engine,
    requested: req.choice,
    selection,
    polled,
    hipri: HIPRI_NOT_USED,
    fallbackReason: null,
  });
  try {
    return opened(IO_URING.open(req, { poll: iopoll }), ioUringPolled(req.queue, iopoll));
  } catch (err) {
    // The queue claims poll queues but the kernel refuses polled reads (a filesystem or stacked
    // driver without iopoll). Asked for io_uring explicitly: measure it interrupt-completed.
    const refused = iopoll && err instanceof IoUringError && err.stage === 'first-read' && err.errno === ERRNO.EOPNOTSUPP;
    if (!refused || req.choice !== 'io_uring') throw err;
    return opened(IO_URING.open(req, { poll: false }), ioUringIopollRefused(req.queue, err.code));
  }
}

function openPsync2(req: ProbeEngineRequest, selection: string, fallbackReason: string | null): OpenedEngine {
  const hipri = decideHipri(req.hipri, req.kernel, req.queue);
  return {
    engine: PSYNC2.open(req, { poll: req.hipri }),
    requested: req.choice,
    selection,
    polled: psync2Polled(hipri),
    hipri,
    fallbackReason,
  };
}

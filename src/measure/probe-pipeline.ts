import { release } from 'node:os';
import { ExitCode, NvprobeError } from '../errors.js';
import { isRoot } from '../host/file-info.js';
import type { Root } from '../host/root.js';
import { IoUringUnavailableError } from '../io/io-uring-errors.js';
import { createScratchFile, SCRATCH_BYTES, scratchDirOnRootFs, type ScratchFile } from '../host/scratch-file.js';
import { detectDisk } from '../detect/disks.js';
import { findRootFsDevice } from '../detect/root-fs.js';
import { planEngine } from './engine-plan.js';
import { parseKernelRelease, type KernelVersion, type QueuePolling } from './hipri.js';
import { inspectTarget, openError, rootFsDevice } from './target.js';
import { pinToCpu } from '../native/libc.js';
import { PROBE_SCHEMA_VERSION, type ProbeReport } from '../contracts/probe-document.js';
import type { EngineDescriptor } from '../io/engine.js';
import { engineDescriptor } from '../io/engines.js';
import { openProbeEngine, type OpenedEngine } from './engine-choice.js';
import { probeTraceSpec, tracedProbe } from './traced-measurement.js';
import { IDLE_POLL_WINDOW_MS, idlePollShare } from './idle-poll.js';
import type { ProbeTarget } from '../contracts/probe-measurement.js';
import type { EngineChoice, EngineName } from '../contracts/probe-document.js';

/** What a probe measures: `probe`'s options, and what tune and collect ask for. */
export interface ProbeMeasureSettings {
  target?: string;
  blockSize: number;
  durationMs?: number;
  ios?: number;
  rampMs: number;
  spanLimit?: number;
  cpu: number | null;
  engine: EngineChoice;
  hipri: boolean;
  /** Time each read on the kernel's clock (ftrace); default on, off with --no-trace. */
  trace?: boolean;
  /** Where a scratch file goes when it must: the command's state dir (default: nvprobe's). */
  scratchDir?: string;
}

/** Who asks: progress lines, cancellation, and the version the report names. */
export interface ProbeContext {
  say: (text: string) => void;
  /** What must be said even without a terminal, before it happens (a scratch file written to disk). */
  tell?: (line: string) => void;
  signal?: AbortSignal;
  nvprobeVersion: string;
}

/** Open the target, measure, close (and remove a scratch file): the ProbeReport `probe --json` prints. */
export async function measureProbe(root: Root, s: ProbeMeasureSettings, ctx: ProbeContext): Promise<ProbeReport> {
  const { say, signal } = ctx;
  const opened = await openTarget(root, s, say, ctx.tell);
  const { target, scratch } = opened;
  const { engine } = opened.engine;
  try {
    if (s.cpu !== null) pinToCpu(s.cpu);
    if (s.trace !== false) say('setting up kernel tracing');
    const trace = s.trace === false ? null : probeTraceSpec(root, target, opened.engine.descriptor);
    const { measurement: result, kernelClock } = await tracedProbe(
      {
        engine,
        spanBytes: target.spanBytes,
        rampMs: s.rampMs,
        durationMs: s.durationMs,
        ios: s.ios,
        signal,
        onProgress: (p) =>
          say(
            p.phase === 'calibrate'
              ? "calibrating nvprobe's own overhead"
              : p.phase === 'ramp'
                ? `warming up: ${(p.elapsedMs / 1000).toFixed(1)} of ${(s.rampMs / 1000).toFixed(1)} s`
                : `measuring: ${p.ios}${s.ios ? ` of ${s.ios}` : ''} I/Os, ${(p.elapsedMs / 1000).toFixed(1)}${s.durationMs ? ` of ${(s.durationMs / 1000).toFixed(1)}` : ''} s`,
          ),
      },
      trace,
    );
    // After the reads and the tracer: the same vCPUs with nothing to do, to price halt polling.
    say(`measuring idle polling: ${(IDLE_POLL_WINDOW_MS / 1000).toFixed(1)} s idle`);
    const idle = result.aborted || signal?.aborted ? null : await idlePollShare(root, IDLE_POLL_WINDOW_MS, signal);
    return {
      schemaVersion: PROBE_SCHEMA_VERSION,
      kind: 'nvprobe.probe',
      nvprobeVersion: ctx.nvprobeVersion,
      createdAt: new Date().toISOString(),
      kernel: { release: kernelVersion(root).release, arch: process.arch },
      target,
      engine: {
        name: engine.name,
        requested: opened.engine.requested,
        selection: opened.engine.selection,
        blockSize: engine.blockSize,
        direct: true,
        polled: opened.engine.polled,
        hipri: opened.engine.hipri,
        ...(opened.engine.fallbackReason ? { fallbackReason: opened.engine.fallbackReason } : {}),
        cpu: s.cpu,
      },
      config: { durationMs: s.durationMs ?? null, ios: s.ios ?? null, rampMs: s.rampMs, idleWindowMs: idle === null ? 0 : IDLE_POLL_WINDOW_MS },
      result: { ...result, idlePollShare: idle },
      headline: kernelClock.available && kernelClock.native ? 'native' : 'calibrated',
      kernelClock,
    };
  } finally {
    engine.close();
    scratch?.remove();
  }
}

export interface OpenedTarget {
  target: ProbeTarget;
  engine: OpenedEngine;
  scratch?: ScratchFile;
}

/** Resolve and open the target; with none given, the root filesystem's device, else a scratch file on it. */
export async function openTarget(root: Root, s: ProbeMeasureSettings, say: (text: string) => void, tell: (line: string) => void = say): Promise<OpenedTarget> {
  if (s.target !== undefined) {
    const target = inspectTarget(root, s.target, s.blockSize, s.spanLimit);
    return { target, engine: openEngine(root, target, s) };
  }
  if (!isRoot()) {
    throw new NvprobeError("probing the root filesystem's disk needs root", {
      exitCode: ExitCode.needsRoot,
      hint: 'rerun as root (e.g. with sudo), or give a TARGET file you can read',
    });
  }
  const dev = rootFsDevice(root);
  let fallbackReason: string;
  if (dev) {
    try {
      const target = inspectTarget(root, dev.path, s.blockSize, s.spanLimit);
      return { target, engine: openEngine(root, target, s) };
    } catch (err) {
      if (err instanceof IoUringUnavailableError) throw err; // a scratch file would not help
      fallbackReason = `${dev.path} (under /) could not be opened: ${(err as Error).message}; measured a scratch file on the root filesystem instead`;
    }
  } else {
    fallbackReason = 'the root filesystem is not on a block device nvprobe can open; measured a scratch file on it instead';
  }
  const size = s.spanLimit ?? SCRATCH_BYTES;
  const dir = scratchDirOnRootFs(s.scratchDir);
  const scratch = await createScratchFile(
    dir,
    size,
    (w) => say(`writing scratch file: ${Math.round((100 * w) / size)} %`),
    () => tell(`writing a ${Math.round(size / (1 << 20))} MiB scratch file in ${dir} (removed when done): ${fallbackReason}`),
  );
  const target = { ...inspectTarget(root, scratch.path, s.blockSize, undefined), scratch: true, fallbackReason };
  return { target, engine: openEngine(root, target, s), scratch };
}

/** Open an engine on a target openTarget inspected (tune opens a second one for a verification's baseline). */
export function openEngine(root: Root, target: ProbeTarget, s: Pick<ProbeMeasureSettings, 'engine' | 'blockSize' | 'hipri'>): OpenedEngine {
  try {
    return openProbeEngine({
      choice: s.engine,
      path: target.path,
      blockSize: s.blockSize,
      hipri: s.hipri,
      queue: queuePolling(root, target.disk),
      kernel: kernelVersion(root),
      ioUringSysctls: () => ({ ioUringDisabled: root.attr('/proc/sys/kernel/io_uring_disabled'), ioUringGroup: root.attr('/proc/sys/kernel/io_uring_group') }),
    });
  } catch (err) {
    throw openError(target.path, err, target.filesystem?.type ?? null);
  }
}

/** Whether the disk's queue has poll queues (queue/io_poll), as detect reads it. */
function queuePolling(root: Root, disk: string | null): QueuePolling | null {
  return disk ? { disk, ioPoll: detectDisk(root, disk).queues.ioPoll } : null;
}

function kernelVersion(root: Root): KernelVersion {
  return parseKernelRelease(root.attr('/proc/sys/kernel/osrelease') ?? release());
}

/** The job nvprobe would run, without opening anything: what `probe --emit-fio` renders for fio. */
export interface ProbeJob {
  filename: string;
  blockSize: number;
  spanBytes: number;
  engine: EngineName;
  /** The engine's fio equivalent, from its descriptor. */
  fio: EngineDescriptor['fio'];
  /** The engine asks to poll for completion, by its descriptor's `polling` (fio's option turns the same on). */
  polled: boolean;
  durationMs?: number;
  ios?: number;
  rampMs: number;
  cpu: number | null;
  /** No TARGET: the job lays out (creates and fills) its scratch file itself. */
  createFile: boolean;
}

export function probeJob(root: Root, s: ProbeMeasureSettings): ProbeJob {
  let filename = s.target;
  let span = s.spanLimit;
  let disk: string | null;
  if (filename !== undefined) {
    const target = inspectTarget(root, filename, s.blockSize, s.spanLimit);
    span = target.spanBytes;
    disk = target.disk;
  } else {
    filename = `${scratchDirOnRootFs()}/nvprobe-fio.dat`;
    span = s.spanLimit ?? SCRATCH_BYTES;
    disk = findRootFsDevice(root)?.disk ?? null;
  }
  // The job follows the engine nvprobe would choose, polling as that engine would.
  const plan = planEngine(s.engine, queuePolling(root, disk), s.hipri);
  return {
    filename,
    blockSize: s.blockSize,
    spanBytes: span,
    engine: plan.engine,
    fio: engineDescriptor(plan.engine).fio,
    polled: plan.poll,
    durationMs: s.durationMs,
    ios: s.ios,
    rampMs: s.rampMs,
    cpu: s.cpu,
    createFile: s.target === undefined,
  };
}

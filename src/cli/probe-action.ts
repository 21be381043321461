import { release } from 'node:os';
import { ExitCode, NvprobeError } from '../errors.js';
import { isRoot } from '../host/file-info.js';
import { Root } from '../host/root.js';
import { createScratchFile, scratchDirOnRootFs, type ScratchFile } from '../host/scratch-file.js';
import type { IoEngine } from '../io/engine.js';
import { Psync2Engine } from '../io/psync2.js';
import { pinToCpu } from '../native/libc.js';
import { detectDisk } from '../detect/disks.js';
import { decideHipri, parseKernelRelease } from '../measure/hipri.js';
import { runProbe } from '../measure/probe-run.js';
import { inspectTarget, openError, rootFsDevice, type ProbeTarget } from '../measure/target.js';
import { fioJob } from '../report/fio-job.js';
import { PROBE_SCHEMA_VERSION, renderProbeText, type ProbeReport } from '../report/probe-report.js';
import type { ProbeFlags, ProbeSettings } from './probe-command.js';
import { startProgress } from './progress.js';
import { nvprobeVersion } from './version.js';

const DEFAULT_SCRATCH_BYTES = 1 << 30;

export async function probe(s: ProbeSettings, flags: ProbeFlags): Promise<number> {
  const root = new Root('/');
  const progress = await startProgress(!flags.json && !flags.emitFio);
  let opened: OpenedTarget;
  try {
    if (flags.emitFio) {
      process.stdout.write(emitFio(root, s));
      return ExitCode.ok;
    }
    opened = await openTarget(root, s, progress.update);
  } catch (err) {
    progress.stop();
    throw err;
  }
  const { target, engine, scratch } = opened;
  try {
    if (s.cpu !== null) pinToCpu(s.cpu);
    const kernel = parseKernelRelease(root.attr('/proc/sys/kernel/osrelease') ?? release());
    const hipri = decideHipri(s.hipri, kernel, target.disk ? { disk: target.disk, ioPoll: detectDisk(root, target.disk).queues.ioPoll } : null);
    const result = await runProbe({
      engine,
      spanBytes: target.spanBytes,
      rampMs: s.rampMs,
      durationMs: s.durationMs,
      ios: s.ios,
      onProgress: (p) => progress.update(p.phase === 'calibrate' ? 'calibrating nvprobe\'s own overhead' : `${p.phase === 'ramp' ? 'warming up' : 'measuring'}: ${p.ios} I/Os, ${(p.elapsedMs / 1000).toFixed(1)} s`),
    });
    progress.stop();
    const report: ProbeReport = {
      schemaVersion: PROBE_SCHEMA_VERSION,
      kind: 'nvprobe.probe',
      nvprobeVersion: nvprobeVersion(),
      createdAt: new Date().toISOString(),
      kernel: { release: kernel.release, arch: process.arch },
      target,
      engine: { name: engine.name, blockSize: engine.blockSize, direct: true, hipri, cpu: s.cpu },
      config: { durationMs: s.durationMs ?? null, ios: s.ios ?? null, rampMs: s.rampMs },
      result,
    };
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderProbeText(report, { histogram: !!flags.histogram }));
    return ExitCode.ok;
  } finally {
    progress.stop();
    engine.close();
    scratch?.remove();
  }
}

interface OpenedTarget {
  target: ProbeTarget;
  engine: IoEngine;
  scratch?: ScratchFile;
}

/** Resolve and open the target; with none given, the root filesystem's device, else a scratch file on it. */
async function openTarget(root: Root, s: ProbeSettings, say: (text: string) => void): Promise<OpenedTarget> {
  if (s.target !== undefined) {
    const target = inspectTarget(root, s.target, s.blockSize, s.spanLimit);
    return { target, engine: openEngine(target, s) };
  }
  if (!isRoot()) {
    throw new NvprobeError('probing the root filesystem\'s disk needs root', {
      exitCode: ExitCode.needsRoot,
      hint: 'rerun as root (e.g. with sudo), or give a TARGET file you can read',
    });
  }
  const dev = rootFsDevice(root);
  let fallbackReason: string;
  if (dev) {
    try {
      const target = inspectTarget(root, dev.path, s.blockSize, s.spanLimit);
      return { target, engine: openEngine(target, s) };
    } catch (err) {
      fallbackReason = `${dev.path} (under /) could not be opened: ${(err as Error).message}; measured a scratch file on the root filesystem instead`;
    }
  } else {
    fallbackReason = 'the root filesystem is not on a block device nvprobe can open; measured a scratch file on it instead';
  }
  const size = s.spanLimit ?? DEFAULT_SCRATCH_BYTES;
  say(`creating a ${Math.round(size / (1 << 20))} MiB scratch file on the root filesystem`);
  const scratch = await createScratchFile(scratchDirOnRootFs(), size, (w) => say(`writing scratch file: ${Math.round((100 * w) / size)} %`));
  const target = { ...inspectTarget(root, scratch.path, s.blockSize, undefined), scratch: true, fallbackReason };
  return { target, engine: openEngine(target, s), scratch };
}

function openEngine(target: ProbeTarget, s: ProbeSettings): IoEngine {
  try {
    return new Psync2Engine({ path: target.path, blockSize: s.blockSize, hipri: s.hipri });
  } catch (err) {
    throw openError(target.path, err, target.filesystem?.type ?? null);
  }
}

function emitFio(root: Root, s: ProbeSettings): string {
  let filename = s.target;
  let span = s.spanLimit;
  if (filename !== undefined) {
    span = inspectTarget(root, filename, s.blockSize, s.spanLimit).spanBytes;
  } else {
    filename = `${scratchDirOnRootFs()}/nvprobe-fio.dat`;
    span = s.spanLimit ?? DEFAULT_SCRATCH_BYTES;
  }
  return fioJob({
    filename,
    blockSize: s.blockSize,
    spanBytes: span,
    engine: 'psync2',
    hipri: s.hipri,
    durationMs: s.durationMs,
    ios: s.ios,
    rampMs: s.rampMs,
    cpu: s.cpu,
    createFile: s.target === undefined,
  });
}

import type { IoEngine } from '../io/engine.js';
import { calibrate } from './calibrate.js';
import { Histogram } from '../stats/histogram.js';
import { RandomOffsets } from './offsets.js';
import { runQd1, type LoopProgress } from './qd1-loop.js';
import { round3, subtractOverhead, summarize } from '../stats/summary.js';
import type { ProbeMeasurement, Calibration } from '../contracts/probe-measurement.js';
import { Root } from '../host/root.js';
import { cpuWindow, readCpuTimes, type CpuTimesReading } from '../host/cpu-times.js';
import { summarizeCpu } from '../stats/cpu-cost.js';

export interface ProbeRunOptions {
  engine: IoEngine;
  spanBytes: number;
  rampMs: number;
  durationMs?: number;
  ios?: number;
  seed?: number;
  onProgress?: (p: LoopProgress | { phase: 'calibrate' }) => void;
  signal?: AbortSignal;
  /** Passed to the QD1 loop: runs before each measured slice, outside the timed region (kernel tracing). */
  beforeSlice?: (slice: number) => void;
  /**
   * A tight-loop calibration already taken on this engine: used as the before and after figures
   * instead of two new ones (~30 ms each), for short repeated rounds. The in-situ figure is still this run's.
   */
  calibration?: Calibration;
  /** Receives the per-read samples (ns, issue order) and slice starts before they are summarised. */
  onSamples?: (loop: { samplesNs: Float64Array; sliceStarts: number[] }) => void;
  /** Whose CPU accounting brackets the measured reads: the live system's (the reads run here), unless a test passes null. */
  cpuRoot?: Root | null;
}

const IN_SITU_EVERY = 16;
const LIVE = new Root('/');
export const OVERHEAD_METHOD =
  "median time of an ffi-rs call with the read call's exact argument list that does not enter the kernel, " +
  `timed with the same clock reads as each I/O, right after every ${IN_SITU_EVERY}th read completes ` +
  '(in-situ: the CPU state after an I/O wake-up); tight-loop figures before and after the run for reference';
const MIN_IN_SITU = 30;

export async function runProbe(opts: ProbeRunOptions): Promise<ProbeMeasurement> {
  const { engine } = opts;
  const offsets = new RandomOffsets(opts.spanBytes, engine.blockSize, opts.seed);
  if (!opts.calibration) opts.onProgress?.({ phase: 'calibrate' });
  const before = opts.calibration ?? calibrate(engine);
  let cpuStart: CpuTimesReading | undefined;
  const cpuRoot = opts.cpuRoot === undefined ? LIVE : opts.cpuRoot;
  const loop = await runQd1({
    ...(cpuRoot ? { onMeasureStart: () => void (cpuStart = readCpuTimes(cpuRoot)) } : {}),
    engine,
    offsets,
    rampMs: opts.rampMs,
    durationMs: opts.durationMs,
    ios: opts.ios,
    onProgress: opts.onProgress,
    signal: opts.signal,
    inSituEvery: IN_SITU_EVERY,
    ...(opts.beforeSlice ? { beforeSlice: opts.beforeSlice } : {}),
  });
  // What the measured reads cost in CPU: read right after the loop, before calibration or summaries.
  const cpu = cpuRoot && cpuStart ? summarizeCpu(cpuWindow(cpuStart, readCpuTimes(cpuRoot), loop.samplesNs.length)) : null;
  opts.onSamples?.({ samplesNs: loop.samplesNs, sliceStarts: loop.sliceStarts });
  if (loop.samplesNs.length === 0) {
    throw new Error(loop.aborted ? 'interrupted before any I/O was measured' : 'no I/O completed');
  }
  if (!opts.calibration) opts.onProgress?.({ phase: 'calibrate' });
  const after = opts.calibration ?? calibrate(engine);
  const inSitu = loop.inSituNoopNs.length >= MIN_IN_SITU ? summarize(loop.inSituNoopNs) : null;
  const perIoUs = inSitu ? inSitu.percentilesUs.p50 : round3((before.ffiUs + after.ffiUs) / 2);
  const raw = summarize(loop.samplesNs);
  const corrected = subtractOverhead(raw, perIoUs);
  const histogram = new Histogram().addAll(loop.samplesNs);
  const correctedHistogram = new Histogram();
  const overheadNs = perIoUs * 1000;
  for (let i = 0; i < loop.samplesNs.length; i++) correctedHistogram.add(Math.max(0, loop.samplesNs[i]! - overheadNs));
  const wallSeconds = loop.wallMs / 1000;
  return {
    samples: loop.samplesNs.length,
    rampIos: loop.rampIos,
    wallSeconds: round3(wallSeconds),
    iops: Math.round(loop.samplesNs.length / wallSeconds),
    iopsCorrected: corrected.meanUs > 0 ? Math.round(1e6 / corrected.meanUs) : 0,
    overhead: {
      perIoUs,
      source: inSitu ? 'in-situ' : 'warm',
      inSitu: inSitu && { medianUs: inSitu.percentilesUs.p50, p10Us: inSitu.percentilesUs.p10, p90Us: inSitu.percentilesUs.p90, calls: inSitu.count },
      before,
      after,
      method: OVERHEAD_METHOD,
    },
    raw,
    corrected,
    histogram: histogram.toJSON(),
    correctedHistogram: correctedHistogram.toJSON(),
    aborted: loop.aborted,
    cpu,
  };
}

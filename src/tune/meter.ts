import type { IoEngine } from '../io/engine.js';
import { Histogram } from '../stats/histogram.js';
import { runProbe } from '../measure/probe-run.js';
import type { ReadTraceSpec } from '../trace/io-events.js';
import { tracedProbe } from '../measure/traced-measurement.js';
import type { RoundFigures } from '../contracts/tune-evidence.js';
import type { ProbeMeasurement, Calibration } from '../contracts/probe-measurement.js';
import type { KernelClockReport } from '../contracts/probe-kernel-clock.js';
import type { HistogramJson } from '../contracts/latency-stats.js';

/**
 * Short measurements on one open target, for A/B rounds; corrected figures (FFI cost taken off).
 * A round ends after `roundMs` or ROUND_IOS reads, whichever comes first: on a fast device the
 * rounds, and so the blocks, stay short enough that a burst on the machine lands on both arms.
 */
export class Meter {
  private warmed = false;
  /** The first round's tight-loop calibration, reused by the later rounds (each still has its in-situ figure). */
  private calibration: Calibration | undefined;
  /** A knob's settling after a write, awaited before the next round (see RuntimeKnob.settle). */
  private pendingSettle: (() => Promise<void>) | null = null;
  constructor(
    private readonly engine: IoEngine,
    private readonly spanBytes: number,
    readonly roundMs: number,
    private readonly signal?: AbortSignal,
  ) {}

  /** Run `settle` before the next measurement (the latest one wins: it follows the latest write). */
  settleFirst(settle: () => Promise<void>): void {
    this.pendingSettle = settle;
  }

  private async settled(): Promise<void> {
    const s = this.pendingSettle;
    this.pendingSettle = null;
    if (s) await s();
  }

  async round(ms = this.roundMs): Promise<{ figures: RoundFigures; measurement: ProbeMeasurement }> {
    await this.settled();
    // After the first, a round's ramp only has to drop the reads a knob switch may have disturbed.
    const m = await runProbe({
      engine: this.engine,
      spanBytes: this.spanBytes,
      rampMs: this.warmed ? ROUND_RAMP_MS : 300,
      durationMs: ms,
      ios: ROUND_IOS,
      signal: this.signal,
      ...(this.calibration ? { calibration: this.calibration } : {}),
    });
    this.warmed = true;
    this.calibration ??= m.overhead.before;
    return { figures: figures(m), measurement: m };
  }

  /** One measurement on the kernel's clock (per-phase figures): the tracer's slices, not an A/B round. */
  async traced(spec: ReadTraceSpec, ms: number): Promise<KernelClockReport> {
    await this.settled();
    const { kernelClock } = await tracedProbe({ engine: this.engine, spanBytes: this.spanBytes, rampMs: this.warmed ? 50 : 300, durationMs: ms, signal: this.signal }, spec);
    this.warmed = true;
    return kernelClock;
  }
}

/** Reads dropped at the start of every round after the first (the first warms up for 300 ms). */
export const ROUND_RAMP_MS = 10;
/** A round ends after this many reads if its time is not up first: enough for a p50 within a few %. */
export const ROUND_IOS = 2000;

export interface MergedRounds {
  figures: RoundFigures;
  histogram: HistogramJson;
}

/** The figures of all the rounds' samples together (one histogram), not a median of per-round figures. */
export function mergeRounds(ms: ProbeMeasurement[]): MergedRounds {
  const h = new Histogram();
  let samples = 0;
  let seconds = 0;
  for (const m of ms) {
    h.merge(Histogram.fromJSON(m.correctedHistogram));
    samples += m.samples;
    seconds += m.wallSeconds;
  }
  const us = (p: number) => Math.round(h.percentile(p)) / 1000;
  return { figures: { p50Us: us(50), p99Us: us(99), p999Us: us(99.9), iops: seconds > 0 ? Math.round(samples / seconds) : 0, samples }, histogram: h.toJSON() };
}

function figures(m: ProbeMeasurement): RoundFigures {
  return {
    p50Us: m.corrected.percentilesUs.p50,
    p99Us: m.corrected.percentilesUs.p99,
    p999Us: m.corrected.percentilesUs['p99.9'],
    iops: m.iops,
    samples: m.samples,
  };
}

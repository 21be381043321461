import type { IoEngine } from '../io/engine.js';
import { Histogram, type HistogramJson } from '../measure/histogram.js';
import { runProbe, type ProbeMeasurement } from '../measure/probe-run.js';
import type { ReadTraceSpec } from '../trace/io-events.js';
import type { KernelClockReport } from '../trace/probe-tracer.js';
import { tracedProbe } from '../trace/traced-run.js';

export interface RoundFigures {
  p50Us: number;
  p99Us: number;
  p999Us: number;
  iops: number;
  samples: number;
}

/** Short measurements on one open target, for A/B rounds; corrected figures (FFI cost taken off). */
export class Meter {
  private warmed = false;
  constructor(
    private readonly engine: IoEngine,
    private readonly spanBytes: number,
    readonly roundMs: number,
    private readonly signal?: AbortSignal,
  ) {}

  async round(ms = this.roundMs): Promise<{ figures: RoundFigures; measurement: ProbeMeasurement }> {
    const m = await runProbe({ engine: this.engine, spanBytes: this.spanBytes, rampMs: this.warmed ? 50 : 300, durationMs: ms, signal: this.signal });
    this.warmed = true;
    return { figures: figures(m), measurement: m };
  }

  /** One measurement on the kernel's clock (per-phase figures): the tracer's slices, not an A/B round. */
  async traced(spec: ReadTraceSpec, ms: number): Promise<KernelClockReport> {
    const { kernelClock } = await tracedProbe({ engine: this.engine, spanBytes: this.spanBytes, rampMs: this.warmed ? 50 : 300, durationMs: ms, signal: this.signal }, spec);
    this.warmed = true;
    return kernelClock;
  }

  /** Several rounds merged: the figures of all their samples together. */
  async rounds(n: number): Promise<{ figures: RoundFigures; histogram: HistogramJson }> {
    const h = new Histogram();
    let samples = 0;
    let seconds = 0;
    for (let i = 0; i < n; i++) {
      const { measurement } = await this.round();
      h.merge(Histogram.fromJSON(measurement.correctedHistogram));
      samples += measurement.samples;
      seconds += measurement.wallSeconds;
    }
    const us = (p: number) => Math.round(h.percentile(p)) / 1000;
    return { figures: { p50Us: us(50), p99Us: us(99), p999Us: us(99.9), iops: Math.round(samples / seconds), samples }, histogram: h.toJSON() };
  }
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

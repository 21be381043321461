import type { ProbeReport } from '../contracts/probe-document.js';
import type { LatencySummary, HistogramJson } from '../contracts/latency-stats.js';

/**
 * The one latency series a probe leads with, in every output (text, JSON consumers, Prometheus,
 * HTML, bundles read back by `report`): chosen here and nowhere else.
 * - native: each read's kernel-clock window (sys_enter → sys_exit) plus the syscall boundary,
 *   minus tracing's in-window cost, both measured in the run (trace/probe-tracer.ts
 *   NativeEstimate): what a native program timing its own preadv2 would see.
 * - calibrated: where tracing did not run, the process clock with nvprobe's per-call cost
 *   (ffi-rs call, clock reads) subtracted; its spread includes the FFI's jitter.
 * - kernel: documents written before the native estimate (their traced total, corrected or not).
 */
export type HeadlineName = 'native' | 'calibrated' | 'kernel';

export interface HeadlineSeries {
  name: HeadlineName;
  /** How the series is labelled wherever it is shown. */
  label: string;
  latency: LatencySummary;
  histogram: HistogramJson;
}

export const HEADLINE_LABELS: Record<HeadlineName, string> = {
  native: 'read latency (native estimate)',
  calibrated: "read latency (process clock − nvprobe's per-call cost)",
  kernel: 'read latency (kernel clock, older document)',
};

/** Documents read back by `report` come from strangers: every branch tolerates missing parts. */
export function probeHeadline(r: ProbeReport): HeadlineSeries {
  const k = r.kernelClock;
  if (k?.available && k.native?.total) return { name: 'native', label: HEADLINE_LABELS.native, latency: k.native.total.latency, histogram: k.native.total.histogram };
  if (k?.available && r.headline === 'kernel' && (k.correctedTotal ?? k.total)) {
    const t = (k.correctedTotal ?? k.total)!;
    return { name: 'kernel', label: HEADLINE_LABELS.kernel, latency: t.latency, histogram: t.histogram };
  }
  return { name: 'calibrated', label: HEADLINE_LABELS.calibrated, latency: r.result?.corrected, histogram: r.result?.correctedHistogram };
}

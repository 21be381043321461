import type { HipriVerdict } from '../measure/hipri.js';
import type { ProbeMeasurement } from '../measure/probe-run.js';
import { PERCENTILES, percentileKey, type LatencySummary } from '../measure/summary.js';
import type { ProbeTarget } from '../measure/target.js';
import { fmtBytes, fmtUs, table } from './format.js';
import { renderHistogram } from './terminal-histogram.js';

export const PROBE_SCHEMA_VERSION = 1;

/** The JSON document `nvprobe probe --json` prints; also embedded in tune runs. */
export interface ProbeReport {
  schemaVersion: typeof PROBE_SCHEMA_VERSION;
  kind: 'nvprobe.probe';
  nvprobeVersion: string;
  createdAt: string;
  kernel: { release: string; arch: string };
  target: ProbeTarget;
  engine: { name: string; blockSize: number; direct: true; hipri: HipriVerdict; cpu: number | null };
  config: { durationMs: number | null; ios: number | null; rampMs: number };
  result: ProbeMeasurement;
}

function latencyRow(label: string, s: LatencySummary): string[] {
  return [label, fmtUs(s.minUs), ...PERCENTILES.map((p) => fmtUs(s.percentilesUs[percentileKey(p)])), fmtUs(s.maxUs), fmtUs(s.meanUs), fmtUs(s.stdevUs)];
}

export function renderProbeText(r: ProbeReport, opts: { histogram: boolean }): string {
  const t = r.target;
  const m = r.result;
  const where =
    t.kind === 'block'
      ? `block device${t.disk && !t.path.endsWith(t.disk) ? ` on ${t.disk}` : ''}`
      : `${t.scratch ? 'scratch file' : 'file'}${t.filesystem ? ` on ${t.filesystem.type} (${t.filesystem.mountPoint})` : ''}${t.disk ? `, disk ${t.disk}` : ''}`;
  const lines = [
    `nvprobe probe: ${fmtBytes(r.engine.blockSize)} random reads at queue depth 1, O_DIRECT`,
    `  target    ${t.path} (${where}, ${fmtBytes(t.spanBytes)} span)`,
  ];
  if (t.fallbackReason) lines.push(`            ${t.fallbackReason}`);
  const h = r.engine.hipri;
  lines.push(
    `  engine    ${r.engine.name}${r.engine.cpu !== null ? `, pinned to CPU ${r.engine.cpu}` : ''}`,
    `  polling   RWF_HIPRI ${h.requested ? 'requested' : 'off'}, ${h.effective ? 'EFFECTIVE' : 'not effective'}: ${h.reason}`,
    `  ran       ${m.wallSeconds.toFixed(2)} s, ${m.samples} I/Os measured (${m.rampIos} ramp I/Os dropped)${m.aborted ? ', INTERRUPTED' : ''}`,
    `  IOPS      ${m.iops} achieved; ${m.iopsCorrected} without nvprobe's per-call cost`,
    `  overhead  ${fmtUs(m.overhead.perIoUs)} µs per I/O taken off 'corrected' (ffi-rs call + clock, ${m.overhead.source}; tight loop before/after ${fmtUs(m.overhead.before.ffiUs)}/${fmtUs(m.overhead.after.ffiUs)}); empty syscall ${fmtUs(m.overhead.before.emptySyscallUs)} µs`,
    '',
    table([
      ['latency µs', 'min', ...PERCENTILES.map((p) => `p${p}`), 'max', 'mean', 'stdev'],
      latencyRow('raw', m.raw),
      latencyRow('corrected', m.corrected),
    ]),
  );
  if (opts.histogram) lines.push('', 'corrected latency histogram', renderHistogram(m.correctedHistogram));
  return `${lines.join('\n')}\n`;
}

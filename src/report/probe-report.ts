import type { EngineChoice } from '../io/engine.js';
import type { PolledVerdict } from '../measure/engine-plan.js';
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
  engine: ProbeEngineReport;
  config: { durationMs: number | null; ios: number | null; rampMs: number };
  result: ProbeMeasurement;
}

/**
 * `polled` is the one answer to "did reads complete by polling" for every engine; `hipri` is
 * psync2's RWF_HIPRI verdict (for io_uring: not requested, 'not used by the io_uring engine').
 */
export interface ProbeEngineReport {
  name: string;
  /** What --engine asked for. */
  requested: EngineChoice;
  /** Why this engine, with or without IOPOLL. */
  selection: string;
  blockSize: number;
  direct: true;
  polled: PolledVerdict;
  hipri: HipriVerdict;
  /** Present when --engine auto wanted io_uring and measured with psync2 instead. */
  fallbackReason?: string;
  cpu: number | null;
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
  if (t.backingNote) lines.push(`  NOTE      ${t.backingNote}`);
  const e = r.engine;
  lines.push(`  engine    ${engineWords(e)}${e.cpu !== null ? `, pinned to CPU ${e.cpu}` : ''}; ${e.selection}`);
  if (e.fallbackReason) lines.push(`            ${e.fallbackReason}`);
  lines.push(
    e.name === 'psync2'
      ? `  polling   RWF_HIPRI ${e.hipri.requested ? 'requested' : 'off'}, ${e.hipri.effective ? 'EFFECTIVE' : 'not effective'}: ${e.hipri.reason}`
      : `  polling   ${e.polled.polled ? 'POLLED' : 'not polled'}: ${e.polled.reason}`,
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

function engineWords(e: ProbeEngineReport): string {
  if (e.name === 'psync2') return 'psync2 (preadv2)';
  if (e.name === 'io_uring') return `io_uring (IORING_OP_READ, one io_uring_enter per read${e.polled.polled ? ', IORING_SETUP_IOPOLL' : ''})`;
  return e.name;
}

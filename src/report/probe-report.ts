import type { ProbeEngineReport, ProbeReport } from '../contracts/probe-document.js';
import { PERCENTILES, percentileKey } from '../stats/summary.js';
import { fmtBytes, fmtUs, table } from './format.js';
import { renderHistogram } from './terminal-histogram.js';
import { guestSplit, kernelClockLines, maxGainWords, phaseTable, placementAdvice } from './kernel-clock-text.js';
import { probeHeadline } from '../measure/headline.js';
import { findEngine } from '../io/engines.js';
import type { LatencySummary } from '../contracts/latency-stats.js';
import { cpuSentence, stealAdvice, vcpuTable } from './cpu-cost-text.js';

function latencyRow(label: string, s: LatencySummary): string[] {
  return [label, fmtUs(s.minUs), ...PERCENTILES.map((p) => fmtUs(s.percentilesUs[percentileKey(p)])), fmtUs(s.maxUs), fmtUs(s.meanUs), fmtUs(s.stdevUs)];
}

/**
 * `probe` text. Default: what to quote first (one headline line, where the time goes, what limits
 * it), then the headline's row; `verbose`: every clock, every latency row and the phase table.
 */
export function renderProbeText(r: ProbeReport, opts: { histogram: boolean; verbose?: boolean }): string {
  if (!opts.verbose) return renderProbeSummary(r, opts);
  const t = r.target;
  const m = r.result;
  const where =
    t.kind === 'block'
      ? `block device${t.disk && !t.path.endsWith(t.disk) ? ` on ${t.disk}` : ''}`
      : `${t.scratch ? 'scratch file' : 'file'}${t.filesystem ? ` on ${t.filesystem.type} (${t.filesystem.mountPoint})` : ''}${t.disk ? `, disk ${t.disk}` : ''}`;
  const lines = [`nvprobe probe: ${fmtBytes(r.engine.blockSize)} random reads at queue depth 1, O_DIRECT`, `  target    ${t.path} (${where}, ${fmtBytes(t.spanBytes)} span)`];
  if (t.fallbackReason) lines.push(`            ${t.fallbackReason}`);
  if (t.backingNote) lines.push(`  NOTE      ${t.backingNote}`);
  const e = r.engine;
  lines.push(`  engine    ${engineWords(e)}${e.cpu !== null ? `, pinned to CPU ${e.cpu}` : ''}; ${e.selection}`);
  if (e.fallbackReason) lines.push(`            ${e.fallbackReason}`);
  lines.push(
    findEngine(e.name)?.polling === 'RWF_HIPRI'
      ? `  polling   RWF_HIPRI ${e.hipri.requested ? 'requested' : 'off'}, ${e.hipri.effective ? 'EFFECTIVE' : 'not effective'}: ${e.hipri.reason}`
      : `  polling   ${e.polled.polled ? 'POLLED' : 'not polled'}: ${e.polled.reason}`,
    `  ran       ${m.wallSeconds.toFixed(2)} s, ${m.samples} I/Os measured (${m.rampIos} ramp I/Os dropped)${m.aborted ? ', INTERRUPTED' : ''}`,
    `  IOPS      ${m.iops} achieved; ${m.iopsCorrected} without nvprobe's per-call cost`,
    `  overhead  ${fmtUs(m.overhead.perIoUs)} µs per I/O taken off 'corrected' (ffi-rs call + clock, ${m.overhead.source}; tight loop before/after ${fmtUs(m.overhead.before.ffiUs)}/${fmtUs(m.overhead.after.ffiUs)}); empty syscall ${fmtUs(m.overhead.before.emptySyscallUs)} µs`,
  );
  const cpu = cpuSentence(r);
  if (cpu) lines.push(`  CPU       ${cpu}`);
  const advice = stealAdvice(m.cpu);
  if (advice) lines.push(`  advice    ${advice}`);
  const k = r.kernelClock;
  if (k) lines.push(...kernelClockLines(k));
  // The headline first (measure/headline.ts), then what it is made from.
  const h = probeHeadline(r);
  const rows = [latencyRow(h.label, h.latency)];
  if (k?.available) rows.push(latencyRow('kernel window (syscall entry → exit, as traced)', k.total.latency));
  if (h.name !== 'calibrated') rows.push(latencyRow("process clock − nvprobe's per-call cost", m.corrected));
  rows.push(latencyRow('raw (process clock)', m.raw));
  lines.push('', table([['latency µs', 'min', ...PERCENTILES.map((p) => `p${p}`), 'max', 'mean', 'stdev'], ...rows]));
  if (k?.available) lines.push(...phaseTable(k));
  if (m.cpu) lines.push(...vcpuTable(m.cpu));
  if (opts.histogram) {
    // The headline's reads first (with the native estimate: the traced ones), then every read.
    if (h.name !== 'calibrated') lines.push('', `${h.label} histogram (${h.latency.count} traced reads)`, renderHistogram(h.histogram));
    lines.push('', "process clock − nvprobe's per-call cost histogram (every read)", renderHistogram(m.correctedHistogram));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The engine as its descriptor describes its reads; an engine that polls by a setup flag names it
 * when the reads polled (RWF_HIPRI has its own polling line). Names no descriptor knows (documents
 * from elsewhere) stand as they are.
 */
function engineWords(e: ProbeEngineReport): string {
  const d = findEngine(e.name);
  if (!d) return e.name;
  const setupFlag = d.polling !== null && d.polling !== 'RWF_HIPRI' && e.polled.polled ? `, ${d.polling}` : '';
  return `${d.name} (${d.reads}${setupFlag})`;
}

/** Where the target's reads go, in words: "file on ext4 (/), disk vda". */
function targetWhere(r: ProbeReport): string {
  const t = r.target;
  return t.kind === 'block'
    ? `block device${t.disk && !t.path.endsWith(t.disk) ? ` on ${t.disk}` : ''}`
    : `${t.scratch ? 'scratch file' : 'file'}${t.filesystem ? ` on ${t.filesystem.type} (${t.filesystem.mountPoint})` : ''}${t.disk ? `, disk ${t.disk}` : ''}`;
}

/** The first screen: the figure to quote, where its time goes, and whatever makes it not what it seems. */
function renderProbeSummary(r: ProbeReport, opts: { histogram: boolean }): string {
  const t = r.target;
  const m = r.result;
  const e = r.engine;
  const h = probeHeadline(r);
  const p = h.latency.percentilesUs;
  const lines = [
    `nvprobe probe: ${t.path} (${targetWhere(r)}): ${fmtBytes(e.blockSize)} random reads, QD1, O_DIRECT, ${e.name}; ${m.samples} reads in ${m.wallSeconds.toFixed(m.wallSeconds < 1 ? 2 : 1)} s${m.aborted ? ', INTERRUPTED' : ''}`,
    `  read latency  p50 ${fmtUs(p.p50)} µs   p99 ${fmtUs(p.p99)} µs   p99.9 ${fmtUs(p['p99.9'])} µs   (${h.label.replace(/^read latency \((.*)\)$/, '$1')}: the figure to quote)`,
  ];
  const k = r.kernelClock;
  const ph = k?.available ? k.phases : null;
  if (ph) {
    const split = guestSplit(ph);
    lines.push(
      `  where it goes guest ${fmtUs(split.guestUs)} µs (submit ${fmtUs(ph.submit.latency.percentilesUs.p50)} + completion → return ${fmtUs(ph.completion.latency.percentilesUs.p50)}), device and host ${fmtUs(split.deviceUs)} µs (p50)`,
      `                ${maxGainWords(split)}`,
    );
  } else {
    lines.push(`  where it goes not split: ${k?.available ? (k.noPhasesReason ?? 'no phases') : `kernel clock unavailable (${k?.reason ?? 'not measured'})`}`);
  }
  lines.push(`  polling       ${e.polled.polled ? 'POLLED' : 'not polled'}: ${e.polled.reason}`);
  // The price beside the figure: what the reads cost in CPU, and how much of the vCPUs the host took.
  const cpu = cpuSentence(r);
  if (cpu) lines.push(`  CPU           ${cpu}`);
  const advice = stealAdvice(m.cpu);
  if (advice) lines.push(`  host advice   ${advice}`);
  const placement = k?.available ? placementAdvice(k.placement) : null;
  if (placement) lines.push(`  placement     ${placement}`);
  if (t.fallbackReason) lines.push(`  NOTE          ${t.fallbackReason}`);
  if (t.backingNote) lines.push(`  NOTE          ${t.backingNote}`);
  if (e.fallbackReason) lines.push(`  NOTE          ${e.fallbackReason}`);
  if (k?.available && (k.lostEvents > 0 || k.unmatched > 0)) lines.push(`  NOTE          the kernel clock timed ${k.reads} of ${k.readsIssued} reads (ring buffer overrun)`);
  lines.push('', table([['latency µs', 'min', ...PERCENTILES.map((q) => `p${q}`), 'max', 'mean', 'stdev'], latencyRow(h.label, h.latency)]));
  if (opts.histogram) lines.push('', `${h.label} histogram (${h.latency.count} reads)`, renderHistogram(h.histogram));
  lines.push('', '--verbose: how each clock measured, every latency row, the phase table, each vCPU');
  return `${lines.join('\n')}\n`;
}

import type { LatencyComparison, Quantiles, SideCpu, SideLatency } from '../contracts/compare-document.js';
import type { CpuCost } from '../contracts/cpu-cost.js';
import type { KernelClockReport, PhaseStats } from '../contracts/probe-kernel-clock.js';
import { placementSummary } from './kernel-clock-text.js';
import { type LatencySeries, reportHeadline, type ReportModel } from './report-model.js';

/** One chart of A against B: the headline, or one phase on the kernel clock. */
export interface CompareChart {
  phase: 'total' | 'submit' | 'device' | 'completion';
  title: string;
  /** Named after the sides: 'A' and 'B'. */
  series: LatencySeries[];
}

const PHASES = [
  { phase: 'submit', title: 'submit (syscall → issue)' },
  { phase: 'device', title: 'device and host (issue → complete)' },
  { phase: 'completion', title: 'completion → return' },
] as const;

/** The rows of the latency table after the headline: each phase, then the guest side (text and HTML). */
export const PHASE_ROWS = [
  ['submit', 'submit (syscall → issue)'],
  ['device', 'device and host (issue → complete)'],
  ['completion', 'completion → return'],
  ['guestSide', 'guest-side (submit + completion → return)'],
] as const;

/** Each side's headline (the series its single report leads with) with its phases, and why a side has none. */
export function compareLatency(a: ReportModel, b: ReportModel): LatencyComparison {
  const A = sideLatency(a);
  const B = sideLatency(b);
  const h = { A: reportHeadline(a), B: reportHeadline(b) };
  const note = h.A && h.B && h.A.series !== h.B.series ? `A's figure is the ${h.A.label}, B's the ${h.B.label}: not the same clock, so part of the difference may be the clocks'` : null;
  return { A, B, missing: { A: A ? null : missingReason(a), B: B ? null : missingReason(b) }, note };
}

function sideLatency(m: ReportModel): SideLatency | null {
  const h = reportHeadline(m);
  if (!h) return null;
  const k = h.kernelClock;
  const phases = k?.available && k.phases ? k.phases : null;
  return {
    series: h.label,
    p50Us: h.p50Us,
    p99Us: h.p99Us,
    phases: phases
      ? {
          submit: quantiles(phases.submit),
          device: quantiles(phases.device),
          completion: quantiles(phases.completion),
          guestSide: { p50Us: phases.guestSide.percentilesUs.p50, p99Us: phases.guestSide.percentilesUs.p99 },
        }
      : null,
    noPhasesReason: phases ? null : noPhasesReason(k),
    cpu: sideCpu(m.probe?.result ? (m.probe.result.cpu ?? null) : (m.run?.result?.after.cpu ?? null)),
    placement: phases && k?.available ? placementSummary(k.placement) : null,
  };
}

function sideCpu(c: CpuCost | null): SideCpu | null {
  if (!c) return null;
  return { busyShare: c.busyShare, maxStealShare: c.maxStealShare, stealPerReadUs: c.stealPerReadUs, perReadUs: c.perReadUs ? c.perReadUs.user + c.perReadUs.system : null };
}

function quantiles(s: PhaseStats): Quantiles {
  return { p50Us: s.latency.percentilesUs.p50, p99Us: s.latency.percentilesUs.p99 };
}

function noPhasesReason(k: KernelClockReport | null): string {
  if (!k) return 'no kernel-clock figures in it';
  if (!k.available) return `kernel clock unavailable: ${k.reason}`;
  return k.noPhasesReason ?? 'no per-phase figures';
}

/** Why a side has nothing to compare: what its bundle's probe collector said, or what the input is. */
function missingReason(m: ReportModel): string {
  if (m.sourceKind === 'probe') return 'its probe document has no result';
  const probe = m.manifest?.collectors?.find((c) => c.name === 'probe');
  if (probe && probe.status !== 'ok') return `its probe ${probe.status === 'skipped' ? 'was skipped' : probe.status === 'timeout' ? 'timed out' : 'failed'}${probe.reason ? `: ${probe.reason}` : ''}`;
  return 'it holds no probe and no tune run with measurements';
}

/** 2^50 ns (about 13 days), the histograms' last bucket: beyond any read. */
const MAX_LATENCY_US = 2 ** 50 / 1000;

/**
 * A figure the table and the sentence compute with that nvprobe never writes: a latency that is
 * not a number from 0 to the histograms' range, a share of a vCPU outside 0–1. Such a side is bad
 * input (a string or null would read as "-" in the table while B − A and the sentence are
 * computed with it coerced). null: every figure is in range.
 */
export function sideFigureProblem(l: SideLatency): string | null {
  const bad = (x: unknown, max: number) => typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > max;
  const show = (x: unknown) => (typeof x === 'string' ? JSON.stringify(x.slice(0, 40)) : String(JSON.stringify(x) ?? x));
  const rows: Array<[string, Quantiles]> = [['headline', l]];
  if (l.phases) for (const [k, label] of PHASE_ROWS) rows.push([label, l.phases[k]]);
  for (const [what, q] of rows)
    for (const [key, name] of [
      ['p50Us', 'p50'],
      ['p99Us', 'p99'],
    ] as const)
      if (bad(q[key], MAX_LATENCY_US)) return `the ${what} ${name} (${show(q[key])}) is not a latency in µs`;
  const c = l.cpu;
  if (c) {
    for (const key of ['busyShare', 'maxStealShare'] as const) if (bad(c[key], 1)) return `the CPU figure ${key} (${show(c[key])}) is not a share of a vCPU`;
    if (bad(c.stealPerReadUs, MAX_LATENCY_US)) return `the CPU figure stealPerReadUs (${show(c.stealPerReadUs)}) is not a time in µs`;
    if (c.perReadUs !== null && bad(c.perReadUs, MAX_LATENCY_US)) return `nvprobe's CPU per read (${show(c.perReadUs)}) is not a time in µs`;
  }
  return null;
}

/** The CDFs to overlay: the headline of both sides, and each phase where both have the kernel clock's phases. */
export function compareCharts(a: ReportModel, b: ReportModel): CompareChart[] {
  const ha = reportHeadline(a);
  const hb = reportHeadline(b);
  if (!ha || !hb) return [];
  const charts: CompareChart[] = [
    {
      phase: 'total',
      title: ha.label === hb.label ? ha.label : `${ha.label} (A), ${hb.label} (B)`,
      series: [
        { name: 'A', histogram: ha.histogram },
        { name: 'B', histogram: hb.histogram },
      ],
    },
  ];
  const pa = ha.kernelClock?.available ? ha.kernelClock.phases : null;
  const pb = hb.kernelClock?.available ? hb.kernelClock.phases : null;
  if (pa && pb)
    for (const p of PHASES)
      charts.push({
        phase: p.phase,
        title: p.title,
        series: [
          { name: 'A', histogram: pa[p.phase].histogram },
          { name: 'B', histogram: pb[p.phase].histogram },
        ],
      });
  return charts;
}

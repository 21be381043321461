import { fmtUs, table } from './format.js';
import type { LatencySummary } from '../contracts/latency-stats.js';
import type { SidePlacement } from '../contracts/compare-document.js';
import type { CompletionPlacement, KernelClockReport, PhaseBreakdown, PlacementGroup } from '../contracts/probe-kernel-clock.js';

type Available = Extract<KernelClockReport, { available: true }>;

/** A read's p50 split into the guest's side and the device and host's: the guest's share is what tuning in the guest can gain at most. */
export function guestSplit(ph: PhaseBreakdown): { guestUs: number; deviceUs: number; maxGainPct: number } {
  const guestUs = ph.guestSide.percentilesUs.p50;
  const deviceUs = ph.device.latency.percentilesUs.p50;
  return { guestUs, deviceUs, maxGainPct: guestUs + deviceUs > 0 ? Math.round((100 * guestUs) / (guestUs + deviceUs)) : 0 };
}

/** "tuning inside this guest can remove at most ~N % of a read": the same words in text and HTML. */
export function maxGainWords(s: ReturnType<typeof guestSplit>): string {
  return `tuning inside this guest can remove at most ~${s.maxGainPct} % of a read`;
}

/** "guest-side X µs vs device and host Y µs (p50): tuning inside this guest can remove at most ~N % of a read". */
export function guestSplitSentence(ph: PhaseBreakdown): string {
  const s = guestSplit(ph);
  return `guest-side ${fmtUs(s.guestUs)} µs vs device and host ${fmtUs(s.deviceUs)} µs (p50): ${maxGainWords(s)}`;
}

/** The `clock` line(s) of `probe` text: what the headline is measured with, and what tracing cost. */
export function kernelClockLines(k: KernelClockReport): string[] {
  if (!k.available) return [`  clock     FFI-calibrated (kernel clock unavailable: ${k.reason})`];
  const o = k.overhead;
  const cost =
    o.perIoUs !== null
      ? `tracing cost ${signedCost(o.perIoUs)} (p50 ${fmtUs(o.tracedP50Us!)} on vs ${fmtUs(o.untracedP50Us!)} off, ${o.untracedReads} reads untraced)`
      : `tracing cost not measured: ${o.note ?? 'no round with tracing off'}`;
  const ph = o.phaseSlices;
  const phaseCost = ph && ph.perIoUs !== null && k.totalFrom === 'syscall-events' ? `; with every event on (the phases' slices) ${signedCost(ph.perIoUs)}` : '';
  const lines = [
    `  clock     kernel (ftrace ${k.clock}, ns): ${k.reads} of ${k.readsIssued} traced reads timed, ${k.lostEvents} events lost${k.unmatched ? `, ${k.unmatched} reads UNTIMED` : ''}; ${cost}${phaseCost}`,
  ];
  const n = k.native;
  if (n) {
    lines.push(
      `  headline  native estimate p50 ${fmtUs(n.total.latency.percentilesUs.p50)} µs (± ${fmtUs(n.uncertaintyUs)}) = kernel window p50 ${fmtUs(n.windowP50Us)} + syscall boundary ${fmtUs(n.boundaryUs)} (± ${fmtUs(n.boundaryCiUs)}) − tracing's in-window cost ${fmtUs(n.inWindowUs)} (± ${fmtUs(n.inWindowCiUs)}), measured with ${n.calls} empty calls each; nvprobe's own call and clock reads excluded`,
    );
  } else if (k.correctedTotal) {
    lines.push(`            older document: headline corrected for tracing's whole cost (${fmtUs(k.correction?.perIoUs ?? 0)} µs/read)`);
  } else {
    lines.push(`  headline  process clock − nvprobe's per-call cost (no native estimate: ${k.nativeReason ?? 'not measured'})`);
  }
  if (k.totalFrom === 'syscall-events')
    lines.push(`            total from ${k.totalReads} reads with only the syscall's entry and exit traced; phases from the ${k.phaseSliceReads} reads with every event on`);
  if (k.lostEvents > 0 || k.unmatched > 0) lines.push(`            ring buffer overrun: the kernel-clock figures cover ${k.reads} of ${k.readsIssued} reads; the process-clock rows cover all`);
  if (k.migrated > 0) lines.push(`            ${k.migrated} reads returned on another CPU than they entered on (the trace clock is global: phases stay exact)`);
  return lines;
}

function row(label: string, s: LatencySummary): string[] {
  const p = s.percentilesUs;
  return [label, fmtUs(p.p50), fmtUs(p.p90), fmtUs(p.p99), fmtUs(p['p99.9']), fmtUs(s.meanUs)];
}

/** The compact phase table and the guest-side vs device-and-host verdict. */
export function phaseTable(k: Available): string[] {
  if (!k.phases) return ['', `phases: ${k.noPhasesReason ?? 'none'}`];
  const ph = k.phases;
  const total = ph.submit.latency.meanUs + ph.device.latency.meanUs + ph.completion.latency.meanUs;
  const share = (s: LatencySummary) => (total > 0 ? `${Math.round((100 * s.meanUs) / total)} %` : '-');
  const events = ph.bioEvents > ph.requestEvents ? 'bio queue → bio complete' : 'request issue → complete';
  const lines = [
    '',
    table([
      [k.totalFrom === 'syscall-events' ? 'phase µs (kernel clock, all-events slices, in-window)' : 'phase µs (kernel clock, in-window)', 'p50', 'p90', 'p99', 'p99.9', 'mean', 'share'],
      [...row('submit (syscall → issue)', ph.submit.latency), share(ph.submit.latency)],
      [...row(`device and host (${events})`, ph.device.latency), share(ph.device.latency)],
      [...row('completion → return', ph.completion.latency), share(ph.completion.latency)],
      [...row('guest-side (submit + completion → return)', ph.guestSide), share(ph.guestSide)],
      ...(ph.total ? [[...row('total of these reads', ph.total.latency), '100 %']] : []),
    ]),
  ];
  lines.push(`  ${guestSplitSentence(ph)}`);
  const idle = `${pct(k.idleCompletions, k.withPhases)} of completions taken by an idle CPU`;
  const woke = k.wokeFromIdle === null ? '' : `; ${pct(k.wokeFromIdle, k.withPhases)} returned on a CPU woken from idle`;
  const inPhaseSlices = k.phaseSliceReads ?? k.reads;
  lines.push(`  ${idle}${woke}${k.withPhases < inPhaseSlices ? `; ${inPhaseSlices - k.withPhases} reads without block events (total only)` : ''}`);
  lines.push(...placementLines(k.placement));
  if (k.outsideSyscall) {
    lines.push(`  outside the syscall (ffi-rs call, clock reads, syscall entry/exit) per read: p50 ${fmtUs(k.outsideSyscall.percentilesUs.p50)}, p99 ${fmtUs(k.outsideSyscall.percentilesUs.p99)} µs`);
  }
  return lines;
}

/** Fewer reads than this on either side: no p50 comparison is drawn. */
const PLACEMENT_MIN_READS = 20;
/** The other-CPU reads' p50 must exceed the same-CPU reads' by this factor to be called slower. */
const PLACEMENT_SLOWER = 1.1;

/**
 * Where the completions ran against the CPU each reader waited on, and what that did to the
 * read: the measured form of the single-interrupt rule's advice. Tolerates documents from elsewhere.
 */
export function placementLines(p: CompletionPlacement | null | undefined): string[] {
  const groups = placementGroups(p);
  if (!p || !groups) return [];
  const { same, other } = groups;
  const n = same.reads + other.reads;
  if (n === 0) return [];
  const where = (m: Record<string, number> | undefined) => cpuShares(m ?? {}, n);
  const group = (g: PlacementGroup) => (g.reads > 0 && g.p50Us !== null ? `p50 ${fmtUs(g.p50Us)} µs (${g.reads} reads)` : 'no reads');
  const lines = [`  placement completions ran on ${where(p.completionCpus)}; readers waited on ${where(p.issueCpus)}: on the completion's CPU ${group(same)}, on another CPU ${group(other)}`];
  const advice = placementAdvice(p);
  if (advice) lines.push(`            ${advice}`);
  return lines;
}

/** What the placement measured asks of the user, in one line; null when it asks nothing. */
export function placementAdvice(p: CompletionPlacement | null | undefined): string | null {
  const groups = placementGroups(p);
  if (!p || !groups) return null;
  const { same, other } = groups;
  const top = busiestCpu(p.completionCpus ?? {});
  if (same.reads >= PLACEMENT_MIN_READS && other.reads >= PLACEMENT_MIN_READS && same.p50Us !== null && other.p50Us !== null && other.p50Us > same.p50Us * PLACEMENT_SLOWER) {
    return `a reader on the completion's CPU waited ${fmtUs(other.p50Us - same.p50Us)} µs less (p50): run the application there${top !== null ? ` (taskset -c ${top})` : ''}, or move the disk's interrupt to the application's CPU`;
  }
  if (same.reads === 0 && other.reads >= PLACEMENT_MIN_READS && top !== null) {
    return `every read waited on another CPU than its completion's (CPU ${top}): nvprobe probe --cpu ${top} measures the difference`;
  }
  return null;
}

/** The placement in one figure (the share of reads completed on their reader's CPU), for `report A B`; null without reads or for a malformed document. */
export function placementSummary(p: CompletionPlacement | null | undefined): SidePlacement | null {
  const groups = placementGroups(p);
  if (!p || !groups) return null;
  const reads = groups.same.reads + groups.other.reads;
  if (reads === 0) return null;
  return { reads, sameCpuShare: groups.same.reads / reads, completionCpu: busiestCpu(p.completionCpus ?? {}) };
}

/**
 * Where the reads waited moved when the share completed on their reader's CPU differs by a quarter
 * of the reads or more. Six unpinned 2 s probes of one quiet development VM in a row: 99–100 %
 * each; pinned to the CPU away from the disk's interrupt: 0 %.
 */
const PLACEMENT_SHARE_MOVE = 0.25;

/** "99 %": the share of a placement's reads completed on their reader's CPU. */
export function sameCpuPercent(p: SidePlacement): string {
  return `${Math.round(p.sameCpuShare * 100)} %`;
}

/** Two measurements' placements differ beyond what an unpinned reader on a quiet machine varies by (each with enough reads). */
export function placementMoved(a: SidePlacement, b: SidePlacement): boolean {
  return a.reads >= PLACEMENT_MIN_READS && b.reads >= PLACEMENT_MIN_READS && Math.abs(b.sameCpuShare - a.sameCpuShare) >= PLACEMENT_SHARE_MOVE;
}

/** Both groups, when each is a whole count with a p50 that is a number (or null without reads); null for a malformed document. */
function placementGroups(p: CompletionPlacement | null | undefined): { same: PlacementGroup; other: PlacementGroup } | null {
  const ok = (g: PlacementGroup | undefined): g is PlacementGroup =>
    g !== undefined && g !== null && Number.isSafeInteger(g.reads) && g.reads >= 0 && (g.p50Us === null ? g.reads === 0 : typeof g.p50Us === 'number' && Number.isFinite(g.p50Us) && g.p50Us >= 0);
  return p && ok(p.sameCpu) && ok(p.otherCpu) ? { same: p.sameCpu, other: p.otherCpu } : null;
}

/** "CPU 1 (100 %)" or "CPU 0 (62 %), CPU 1 (38 %)", CPU numbers only. */
function cpuShares(m: Record<string, number>, n: number): string {
  const rows = cpuCounts(m);
  return rows.length > 0 ? rows.map(([cpu, c]) => `CPU ${cpu} (${pct(c, n)})`).join(', ') : '-';
}

function busiestCpu(m: Record<string, number>): number | null {
  const rows = cpuCounts(m);
  return rows.length > 0 ? rows.reduce((a, b) => (b[1] > a[1] ? b : a))[0] : null;
}

/** A document's per-CPU read counts, by CPU number: keys that are not CPU numbers (a document from elsewhere) left out. */
function cpuCounts(m: Record<string, number>): Array<[number, number]> {
  return Object.entries(m)
    .filter(([cpu, c]) => /^\d{1,5}$/.test(cpu) && typeof c === 'number' && c > 0)
    .map(([cpu, c]): [number, number] => [Number(cpu), c])
    .sort((a, b) => a[0] - b[0]);
}

function pct(n: number, of: number): string {
  if (!(of > 0)) return '-';
  return n > 0 && (100 * n) / of < 0.5 ? '<1 %' : `${Math.round((100 * n) / of)} %`;
}

/** A cost measured as a difference of two noisy p50s: below zero it is noise, and says so. */
function signedCost(us: number): string {
  return us >= 0 ? `+${fmtUs(us)} µs/read` : `${fmtUs(us)} µs/read (below zero: within run-to-run noise)`;
}

import { Histogram } from '../stats/histogram.js';
import { round3, summarize } from '../stats/summary.js';
import { ReadColumns, SOURCE_BIO, SOURCE_NONE, SOURCE_REQUEST } from './read-joiner.js';
import type { CompletionPlacement, PhaseStats, PhaseBreakdown, PlacementGroup, ReadStats } from '../contracts/probe-kernel-clock.js';
import type { LatencySummary } from '../contracts/latency-stats.js';

function stats(ns: Float64Array): PhaseStats {
  return { latency: summarize(ns), histogram: new Histogram().addAll(ns).toJSON() };
}

/** Percentiles and log-linear histograms of the total and of each phase, from joined reads. */
export function readStats(r: ReadColumns, idleTraced: boolean): ReadStats | null {
  if (r.n === 0) return null;
  const total = new Float64Array(r.n);
  let withPhases = 0;
  let idle = 0;
  let woke = 0;
  let migrated = 0;
  let requestEvents = 0;
  let bioEvents = 0;
  for (let i = 0; i < r.n; i++) {
    total[i] = r.exitNs[i]! - r.enterNs[i]!;
    if (r.source[i] !== SOURCE_NONE) withPhases++;
    if (r.source[i] === SOURCE_REQUEST) requestEvents++;
    if (r.source[i] === SOURCE_BIO) bioEvents++;
    if (r.completeIdle[i] === 1) idle++;
    if (r.wokeIdle[i] === 1) woke++;
    migrated += r.migrated[i]!;
  }
  let phases: PhaseBreakdown | null = null;
  if (withPhases > 0) {
    const submit = new Float64Array(withPhases);
    const device = new Float64Array(withPhases);
    const completion = new Float64Array(withPhases);
    const guest = new Float64Array(withPhases);
    let k = 0;
    for (let i = 0; i < r.n; i++) {
      if (r.source[i] === SOURCE_NONE) continue;
      submit[k] = r.issueNs[i]! - r.enterNs[i]!;
      device[k] = r.completeNs[i]! - r.issueNs[i]!;
      completion[k] = r.exitNs[i]! - r.completeNs[i]!;
      guest[k] = submit[k]! + completion[k]!;
      k++;
    }
    const whole = new Float64Array(withPhases);
    for (let i = 0; i < withPhases; i++) whole[i] = submit[i]! + device[i]! + completion[i]!;
    phases = { submit: stats(submit), device: stats(device), completion: stats(completion), guestSide: summarize(guest), total: stats(whole), requestEvents, bioEvents };
  }
  return { reads: r.n, total: stats(total), withPhases, phases, idleCompletions: idle, wokeFromIdle: idleTraced ? woke : null, migrated, placement: completionPlacement(r) };
}

/** The reads with a completion CPU, grouped by whether it was the CPU they waited on. */
export function completionPlacement(r: ReadColumns): CompletionPlacement | null {
  const issueCpus: Record<string, number> = {};
  const completionCpus: Record<string, number> = {};
  const same: number[] = [];
  const other: number[] = [];
  for (let i = 0; i < r.n; i++) {
    const c = r.completeCpu[i]!;
    if (c < 0) continue;
    const e = r.enterCpu[i]!;
    issueCpus[e] = (issueCpus[e] ?? 0) + 1;
    completionCpus[c] = (completionCpus[c] ?? 0) + 1;
    (c === e ? same : other).push(r.exitNs[i]! - r.enterNs[i]!);
  }
  if (same.length + other.length === 0) return null;
  const group = (ns: number[]): PlacementGroup => ({ reads: ns.length, p50Us: ns.length > 0 ? summarize(Float64Array.from(ns)).percentilesUs.p50 : null });
  return { issueCpus, completionCpus, sameCpu: group(same), otherCpu: group(other) };
}

/** Syscall entry → exit of each read minus `shiftNs` (tracing's own cost), floored at zero. */
export function shiftedTotal(r: ReadColumns, shiftNs: number): PhaseStats {
  const d = new Float64Array(r.n);
  for (let i = 0; i < r.n; i++) d[i] = Math.max(0, r.exitNs[i]! - r.enterNs[i]! - shiftNs);
  return stats(d);
}

/** The reads of the given index ranges [from, to), in order: one round's reads out of a run's. */
export function selectReads(r: ReadColumns, ranges: Array<[number, number]>): ReadColumns {
  const out = new ReadColumns();
  for (const [from, to] of ranges) {
    for (let i = from; i < to && i < r.n; i++) {
      out.push(r.row(i));
    }
  }
  return out;
}

/** Raw (process-timed) minus kernel time per read: the FFI call, clock reads and syscall entry/exit. */
export function outsideSyscall(samplesNs: Float64Array, r: ReadColumns): LatencySummary | null {
  if (r.n === 0 || samplesNs.length !== r.n) return null;
  const d = new Float64Array(r.n);
  for (let i = 0; i < r.n; i++) d[i] = samplesNs[i]! - (r.exitNs[i]! - r.enterNs[i]!);
  return summarize(d);
}

export { round3 };

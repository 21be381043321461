import { ExitCode, NvprobeError } from '../errors.js';
import type { Root } from '../host/root.js';
import { runtimeKnob } from '../knobs/index.js';
import { writeSubject } from '../knobs/write.js';
import type { HistogramJson } from '../measure/histogram.js';
import type { ProbeTarget } from '../measure/target.js';
import type { IoEngine } from '../io/engine.js';
import { abTest, gridPairs, judge, type AbPair } from './ab-test.js';
import { Applier, WriteRefused } from './applier.js';
import { gridSearch, type GridPoint } from './autotune.js';
import type { Journal } from './journal.js';
import { Meter, type RoundFigures } from './meter.js';
import type { PlannedChange, TunePlan } from './plan.js';
import { idlePollShare } from './poll-cost.js';
import type { ReadTraceSpec } from '../trace/io-events.js';
import type { KernelClockReport } from '../trace/probe-tracer.js';

export interface SessionOptions {
  root: Root;
  journal: Journal;
  run: string;
  plan: TunePlan;
  target: ProbeTarget;
  engine: IoEngine;
  budgetMs: number;
  roundMs: number;
  pairs: number;
  passes: number;
  pollWindowMs: number;
  /** Whose reads to trace for the before/after phase split; null: no kernel-clock measurement. */
  trace: ReadTraceSpec | null;
  signal?: AbortSignal;
  say: (text: string) => void;
}

export interface Figures extends RoundFigures {
  /** Share of CPU time spent in the POLL idle state over an idle window; null where unknown. */
  idlePollShare: number | null;
}

export interface ChangeResult {
  findingId: string;
  title: string;
  target: string;
  from: Array<string | null>;
  to: string | number | null;
  decision: 'kept' | 'reverted' | 'skipped';
  reason: string;
  medianRatio: number | null;
  pairs: AbPair[];
  grid?: GridPoint[];
  pollShare?: { before: number | null; after: number | null };
}

export interface SessionResult {
  before: Figures;
  after: Figures;
  histograms: { before: HistogramJson; after: HistogramJson };
  changes: ChangeResult[];
  kept: PlannedChange[];
  partial: boolean;
  stopReason: string | null;
  elapsedMs: number;
  /**
   * One traced measurement of the baseline and one of the final state, on the kernel's clock:
   * per-phase figures (submit, device and host, completion → return). Absent when tracing was off.
   */
  kernelClock?: { before: KernelClockReport; after: KernelClockReport };
}

const BASE_ROUNDS = 3;
/** The traced before/after measurements: as long as the baseline's rounds together, at least 400 ms (8 slices). */
const tracedMs = (roundMs: number) => Math.max(BASE_ROUNDS * roundMs, 400);

/**
 * Baseline → for each change: apply, measure against the old value in interleaved rounds, keep
 * or put back → final measurement. Every write goes through the journal; on any failure this
 * run's changes are undone before the error leaves.
 */
export async function runSession(o: SessionOptions): Promise<SessionResult> {
  const t0 = performance.now();
  const deadline = t0 + o.budgetMs;
  const applier = new Applier(o.root, o.journal, o.run);
  const meter = new Meter(o.engine, o.target.spanBytes, o.roundMs, o.signal);
  const measure = async () => (await meter.round()).figures;
  const changes: ChangeResult[] = [];
  const kept: PlannedChange[] = [];
  let stopReason: string | null = null;

  o.say('measuring the baseline');
  const base = await meter.rounds(BASE_ROUNDS);
  if (o.trace) o.say('measuring the baseline on the kernel clock');
  const tracedBefore = o.trace ? await meter.traced(o.trace, tracedMs(o.roundMs)) : null;
  // Idle polling only moves with machine-wide idle settings; skip the idle windows otherwise.
  const idleMatters = o.plan.changes.some((c) => c.action.kind !== 'queue-attr');
  const pollShare = () => (idleMatters ? idlePollShare(o.root, o.pollWindowMs) : Promise.resolve(null));
  const pollBefore = await pollShare();
  const finalCost = BASE_ROUNDS * o.roundMs * 1.4 + (o.trace ? tracedMs(o.roundMs) * 1.4 : 0) + (idleMatters ? o.pollWindowMs : 0) + 500;

  try {
    for (const change of o.plan.changes) {
      const knob = runtimeKnob(change.action.kind);
      const grid = change.action.grid;
      const cost = (grid ? grid.length * o.passes + 2 * o.pairs : 2 * o.pairs) * o.roundMs * 1.4;
      if (stopReason || performance.now() + cost + finalCost > deadline) {
        stopReason ??= `budget of ${(o.budgetMs / 1000).toFixed(0)} s reached`;
        changes.push(result(change, null, 'skipped', `not evaluated: ${stopReason}`, null, []));
        continue;
      }
      if (o.signal?.aborted) throw new NvprobeError('interrupted');
      o.say(`trying ${change.action.target}`);
      // Each trial write is journaled; set(v) undoes the previous trial first so that only
      // one entry per change is ever outstanding, and undoing it restores the original.
      let trialSeqs: number[] = [];
      const undoTrial = () => {
        for (const e of o.journal
          .outstanding(o.run)
          .filter((x) => trialSeqs.includes(x.seq))
          .reverse())
          applier.undo(e);
        trialSeqs = [];
      };
      const set = (v: string | number) => {
        undoTrial();
        const ws = knob.writes(o.root, change.action, v);
        for (const w of ws) trialSeqs.push(applier.apply(w, `${change.findingId}: ${change.action.target} = ${v}`));
        if (!knob.verify(o.root, change.action, v)) {
          throw new WriteRefused(change.action.target, ws[0] ? writeSubject(ws[0]) : change.action.target, `read back ${JSON.stringify(knob.read(o.root, change.action))}, not ${v}`);
        }
      };
      const original = () => undoTrial();

      let to: string | number = change.action.value;
      let gridPoints: GridPoint[] | undefined;
      let prior: AbPair[] = [];
      let changePoll: ChangeResult['pollShare'];
      if (grid) {
        const g = await gridSearch(grid, o.passes, (v) => (isOriginal(change, v) ? original() : set(v)), measure);
        gridPoints = g.points;
        to = g.chosen.value;
        original();
        if (isOriginal(change, to)) {
          changes.push({
            ...result(change, to, 'reverted', `the current value ${change.from[0]} is already within ${g.tolerance * 100} % of the best (${g.best.value}: ${g.best.medianP50Us} µs)`, null, []),
            grid: gridPoints,
          });
          continue;
        }
        // Each pass already measured the chosen value against the original: those pairs count too.
        const originalPoint = g.points.find((p) => isOriginal(change, p.value));
        if (originalPoint) prior = gridPairs(originalPoint.rounds, g.chosen.rounds);
      }
      const pairs = [...prior, ...(await abTest(o.pairs, original, () => set(to), measure))];
      const verdict = judge(pairs, change.prerequisite);
      if (verdict.keep) {
        set(to);
        if (change.action.kind !== 'queue-attr') changePoll = { before: pollBefore, after: await pollShare() };
        kept.push({ ...change, action: { ...change.action, value: to } });
        trialSeqs = []; // stays applied; its journal entries stay outstanding for revert
      } else {
        original();
      }
      changes.push({ ...result(change, to, verdict.keep ? 'kept' : 'reverted', verdict.reason, verdict.medianRatio, pairs), grid: gridPoints, pollShare: changePoll });
    }
  } catch (err) {
    undoRun(applier, o.journal, o.run);
    if (err instanceof WriteRefused) {
      throw new NvprobeError(`${err.message}; every change of this run was reverted`, {
        exitCode: ExitCode.partial,
        hint: 'the kernel refused the value: the rule may not fit this kernel (see nvprobe check)',
      });
    }
    throw err;
  }

  o.say('measuring the result');
  const fin = await meter.rounds(BASE_ROUNDS);
  if (o.trace) o.say('measuring the result on the kernel clock');
  const tracedAfter = o.trace ? await meter.traced(o.trace, tracedMs(o.roundMs)) : null;
  const pollAfter = await pollShare();
  return {
    before: { ...base.figures, idlePollShare: pollBefore },
    after: { ...fin.figures, idlePollShare: pollAfter },
    histograms: { before: base.histogram, after: fin.histogram },
    changes,
    kept,
    partial: stopReason !== null,
    stopReason,
    elapsedMs: Math.round(performance.now() - t0),
    ...(tracedBefore && tracedAfter ? { kernelClock: { before: tracedBefore, after: tracedAfter } } : {}),
  };
}

function isOriginal(change: PlannedChange, v: string | number): boolean {
  return change.from.length > 0 && change.from.every((f) => f !== null && String(f) === String(v));
}

function result(change: PlannedChange, to: string | number | null, decision: ChangeResult['decision'], reason: string, medianRatio: number | null, pairs: AbPair[]): ChangeResult {
  return { findingId: change.findingId, title: change.title, target: change.action.target, from: change.from, to, decision, reason, medianRatio, pairs };
}

/** Undo everything this run still has applied, newest first. */
export function undoRun(applier: Applier, journal: Journal, run: string): void {
  for (const e of journal.outstanding(run).reverse()) {
    try {
      applier.undo(e);
    } catch {
      // Keep going: the others must still be put back; revert can retry this one.
    }
  }
}

import { ExitCode, NvprobeError } from '../errors.js';
import type { Root } from '../host/root.js';
import { knobKind, runtimeKnob } from '../knobs/kinds.js';
import { writeSubject } from '../knobs/write.js';
import type { IoEngine } from '../io/engine.js';
import { decide, FALSE_KEEP_RATE, FINAL_BLOCKS, LOOKS, MIN_GAIN, ALPHA_PER_LOOK, measureBlock, NOISE_BLOCKS, randomOrder, ratioBounds, REPORT_ALPHA } from './decision.js';
import type { Block, BlockOrder, Evidence, GridChoice, GridPoint } from '../contracts/tune-evidence.js';
import type { CpuCost, CpuWindow } from '../contracts/cpu-cost.js';
import { mergeCpuWindows, summarizeCpu } from '../stats/cpu-cost.js';
import { Applier, WriteRefused } from './applier.js';
import { gridSearch } from './autotune.js';
import type { Journal } from './journal.js';
import { Meter, mergeRounds } from './meter.js';
import type { PlannedChange, TunePlan } from '../contracts/tune-plan.js';
import { idlePollShare } from '../measure/idle-poll.js';
import { KeptSwitch, noiseFloor, tracedPair } from './closing.js';
import type { ReadTraceSpec } from '../trace/io-events.js';
import type { ChangeResult, FinalComparison, SessionResult } from '../contracts/tune-session.js';
import type { ProbeTarget, ProbeMeasurement } from '../contracts/probe-measurement.js';

export interface SessionOptions {
  root: Root;
  journal: Journal;
  run: string;
  plan: TunePlan;
  target: ProbeTarget;
  engine: IoEngine;
  budgetMs: number;
  roundMs: number;
  /** At most this many blocks per change (the sequential test's last look at or below it). */
  maxBlocks: number;
  passes: number;
  pollWindowMs: number;
  /** Idle polling share (a share of a vCPU) above which no polling setting is kept; null: no cap. */
  maxIdlePollShare: number | null;
  /** Whose reads to trace for the before/after phase split; null: no kernel-clock measurement. */
  trace: ReadTraceSpec | null;
  signal?: AbortSignal;
  say: (text: string) => void;
  /** The order of each block (tests replay recorded orders); default a fair coin. */
  order?: () => BlockOrder;
}

/** The traced before/after measurements: as long as three rounds, at least 400 ms (8 slices). */
const tracedMs = (roundMs: number) => Math.max(3 * roundMs, 400);

/** Which arm a round belongs to, so that a block's rounds can be merged per arm. */
type Arm = 'A' | 'B';

/** The idle window at each grid value of a machine-wide knob: half a second, 0.1 % resolution at 2 vCPUs. */
const GRID_IDLE_MS = 500;

/** An arm's CPU cost over all its rounds; null when any round has none. */
function armCpu(ms: ProbeMeasurement[]): CpuCost | null {
  const ws = ms.map((m) => m.cpu?.window ?? null);
  if (ws.length === 0 || ws.some((w) => w === null)) return null;
  const merged = mergeCpuWindows(ws as CpuWindow[]);
  return merged && summarizeCpu(merged);
}

/**
 * Noise floor (the settings against themselves) → for each change: apply, measure against the
 * old value in randomly ordered blocks until the sequential test decides, keep or put back →
 * the final state against the original, interleaved. Every write goes through the journal; on
 * any failure this run's changes are undone before the error leaves.
 */
export async function runSession(o: SessionOptions): Promise<SessionResult> {
  const t0 = performance.now();
  const deadline = t0 + o.budgetMs;
  const applier = new Applier(o.root, o.journal, o.run);
  const meter = new Meter(o.engine, o.target.spanBytes, o.roundMs, o.signal);
  // Every round's measurement, by the arm it was taken in: the final comparison merges them.
  let arm: Arm = 'A';
  let recorded: Record<Arm, ProbeMeasurement[]> | null = null;
  const measured = async () => {
    const { figures, measurement } = await meter.round();
    recorded?.[arm].push(measurement);
    return { figures, cpu: measurement.cpu?.window ?? null };
  };
  const measure = async () => (await measured()).figures;
  const order = o.order ?? randomOrder;
  const changes: ChangeResult[] = [];
  const kept: PlannedChange[] = [];
  const keptSwitch = new KeptSwitch();
  let stopReason: string | null = null;

  o.say('measuring the noise floor (the current settings against themselves)');
  recorded = { A: [], B: [] };
  const noiseT0 = performance.now();
  const noiseBlocks: Block[] = [];
  for (let i = 0; i < NOISE_BLOCKS; i++) {
    noiseBlocks.push(
      await measureBlock(
        order(),
        () => void (arm = 'A'),
        () => void (arm = 'B'),
        measure,
      ),
    );
  }
  const noiseRecorded = recorded;
  recorded = null;
  // What one round costs here (ramp, set-up, the measuring itself): the budget's unit.
  const roundCost = (performance.now() - noiseT0) / (NOISE_BLOCKS * 4);
  const noise = noiseFloor(noiseBlocks);
  // Idle polling only moves with machine-wide idle settings; skip the idle windows otherwise.
  const machineWide = (c: PlannedChange) => knobKind(c.action.kind).scope === 'machine';
  const idleMatters = o.plan.changes.some(machineWide);
  const pollShare = () => (idleMatters ? idlePollShare(o.root, o.pollWindowMs) : Promise.resolve(null));
  const pollBefore = await pollShare();
  const tracedCost = o.trace ? 2 * (tracedMs(o.roundMs) + 300) * 1.4 : 0;
  const finalCost = FINAL_BLOCKS * 4 * roundCost * 1.2 + tracedCost + (idleMatters ? o.pollWindowMs : 0) + 500;
  const blockCost = 4 * roundCost * 1.2;

  try {
    for (const change of o.plan.changes) {
      const knob = runtimeKnob(change.action.kind);
      const grid = change.action.grid;
      const gridIdle = grid && machineWide(change) ? grid.length * (GRID_IDLE_MS + 50) : 0;
      const cost = (grid ? grid.length * o.passes * roundCost * 1.2 + gridIdle : 0) + LOOKS[0] * blockCost;
      if (stopReason || performance.now() + cost + finalCost > deadline) {
        stopReason ??= `budget of ${(o.budgetMs / 1000).toFixed(0)} s reached`;
        changes.push(result(change, null, 'skipped', `not evaluated: ${stopReason}`, null, []));
        continue;
      }
      if (o.signal?.aborted) throw new NvprobeError('interrupted');
      o.say(`trying ${change.action.target}`);
      const changeT0 = performance.now();
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
        settle();
      };
      const settle = () => {
        const s = knob.settle;
        if (s) meter.settleFirst(() => s(o.root, change.action));
      };
      const set = (v: string | number) => {
        undoTrial();
        const ws = knob.writes(o.root, change.action, v);
        for (const w of ws) trialSeqs.push(applier.apply(w, `${change.findingId}: ${change.action.target} = ${v}`));
        if (!knob.verify(o.root, change.action, v)) {
          throw new WriteRefused(change.action.target, ws[0] ? writeSubject(ws[0]) : change.action.target, `read back ${JSON.stringify(knob.read(o.root, change.action))}, not ${v}`);
        }
        settle();
      };
      const original = () => undoTrial();

      let to: string | number = change.action.value;
      let gridPoints: GridPoint[] | undefined;
      let gridChoice: GridChoice | undefined;
      let changePoll: ChangeResult['pollShare'];
      if (grid) {
        // The grid only chooses the value; its rounds do not count as evidence (the chosen value
        // is the one that looked best, so its own rounds flatter it).
        const setGrid = (v: string | number) => (isOriginal(change, v) ? original() : set(v));
        const g = await gridSearch({
          values: grid,
          passes: o.passes,
          set: setGrid,
          measure: measured,
          ...(machineWide(change)
            ? {
                idleCost: async (v: string | number) => {
                  setGrid(v);
                  return idlePollShare(o.root, GRID_IDLE_MS);
                },
              }
            : {}),
          noise: noise.spread,
          maxIdlePollShare: o.maxIdlePollShare,
        });
        gridPoints = g.points;
        gridChoice = g.choice;
        to = g.chosen.value;
        original();
        if (isOriginal(change, to)) {
          const why = g.choice.reachesBest
            ? `the current value ${change.from[0]} is already within ${pctText(g.choice.tolerance)} of the best (${g.best.value}: ${g.best.medianP50Us} µs) and costs the least`
            : `every value that reaches the best (${g.best.value}: ${g.best.medianP50Us} µs) polls above the cap of ${pctText(o.maxIdlePollShare ?? 0)} of a vCPU while idle (${g.choice.excluded.map((e) => `${e.value}: ${pctText(e.idlePollShare)}`).join(', ')})`;
          changes.push({ ...result(change, to, 'reverted', why, null, []), grid: gridPoints, gridChoice });
          continue;
        }
      }
      let evidence: Evidence;
      let blocks: Block[] = [];
      let armCosts: ChangeResult['cpu'];
      if (change.prerequisite) {
        evidence = { outcome: 'prerequisite', ratio: Number.NaN, interval: [null, null], blocks: 0, looks: 0, reason: 'kept as a prerequisite of other changes (not measured on its own)' };
      } else {
        const target = to;
        let current: Arm | null = null;
        recorded = { A: [], B: [] };
        const d = await decide({
          setA: () => {
            if (current !== 'A') original();
            current = arm = 'A';
          },
          setB: () => {
            if (current !== 'B') set(target);
            current = arm = 'B';
          },
          measure,
          canAffordBlock: () => performance.now() + blockCost + finalCost <= deadline,
          maxBlocks: o.maxBlocks,
          order,
        });
        evidence = d.evidence;
        blocks = d.blocks;
        armCosts = { before: armCpu(recorded.A), after: armCpu(recorded.B) };
        recorded = null;
      }
      let keep = evidence.outcome === 'gain' || evidence.outcome === 'prerequisite';
      if (keep) {
        const target = to;
        set(target);
        if (machineWide(change)) changePoll = { before: pollBefore, after: await pollShare() };
        // The price cap holds for what is kept, not only for what the grid chose.
        const after = changePoll?.after ?? null;
        if (o.maxIdlePollShare !== null && after !== null && after > o.maxIdlePollShare && evidence.outcome !== 'prerequisite') {
          keep = false;
          evidence = { ...evidence, reason: `${evidence.reason}; but it polls ${pctText(after)} of a vCPU while idle, above the cap of ${pctText(o.maxIdlePollShare)}: not kept` };
        }
      }
      if (keep) {
        const target = to;
        kept.push({ ...change, action: { ...change.action, value: target } });
        keptSwitch.add(() => set(target), original);
      } else {
        original();
      }
      const ratio = Number.isFinite(evidence.ratio) ? evidence.ratio : null;
      changes.push({
        ...result(change, to, keep ? 'kept' : 'reverted', evidence.reason, ratio, blocks),
        evidence,
        grid: gridPoints,
        gridChoice,
        pollShare: changePoll,
        cpu: armCosts,
        elapsedMs: Math.round(performance.now() - changeT0),
      });
      if (evidence.reason.includes('the budget ended')) stopReason ??= `budget of ${(o.budgetMs / 1000).toFixed(0)} s reached`;
    }

    // The result: the final state against the original, interleaved now, not two periods apart.
    let final: FinalComparison | null = null;
    let figures: Record<Arm, ProbeMeasurement[]> = noiseRecorded;
    if (keptSwitch.size) {
      o.say('measuring the result (the final settings against the original ones, interleaved)');
      const to = (a: Arm) => {
        keptSwitch.to(a === 'A' ? 'original' : 'final');
        arm = a;
      };
      recorded = { A: [], B: [] };
      const blocks: Block[] = [];
      for (let i = 0; i < FINAL_BLOCKS; i++)
        blocks.push(
          await measureBlock(
            order(),
            () => to('A'),
            () => to('B'),
            measure,
          ),
        );
      to('B');
      figures = recorded;
      recorded = null;
      const r = ratioBounds(blocks, REPORT_ALPHA);
      final = { blocks, ratio: r.ratio, interval: [r.lower, r.upper] };
    }
    let kernelClock: SessionResult['kernelClock'];
    if (o.trace) {
      o.say('measuring the original and the result on the kernel clock');
      kernelClock = await tracedPair(meter, o.trace, tracedMs(o.roundMs), keptSwitch);
    }
    const pollAfter = await pollShare();
    const before = mergeRounds(figures.A);
    const after = mergeRounds(figures.B);
    return {
      before: { ...before.figures, idlePollShare: pollBefore, cpu: armCpu(figures.A) },
      after: { ...after.figures, idlePollShare: pollAfter, cpu: armCpu(figures.B) },
      histograms: { before: before.histogram, after: after.histogram },
      changes,
      kept,
      partial: stopReason !== null,
      stopReason,
      elapsedMs: Math.round(performance.now() - t0),
      noise,
      final,
      rule: { minGain: MIN_GAIN, falseKeepRate: FALSE_KEEP_RATE, looks: [...LOOKS], alphaPerLook: ALPHA_PER_LOOK },
      ...(kernelClock ? { kernelClock } : {}),
    };
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
}

const pctText = (share: number) => `${(share * 100).toFixed(1)} %`;

function isOriginal(change: PlannedChange, v: string | number): boolean {
  return change.from.length > 0 && change.from.every((f) => f !== null && String(f) === String(v));
}

function result(change: PlannedChange, to: string | number | null, decision: ChangeResult['decision'], reason: string, medianRatio: number | null, blocks: Block[]): ChangeResult {
  return { findingId: change.findingId, title: change.title, target: change.action.target, from: change.from, to, decision, reason, medianRatio, blocks };
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

import type { PersistedReport, TuneReport } from '../contracts/tune-document.js';
import { stateDirFlag } from '../host/state-dir.js';
import { fmtUs, table } from './format.js';
import type { SidePlacement } from '../contracts/compare-document.js';
import { placementMoved, placementSummary, sameCpuPercent } from './kernel-clock-text.js';
import { intervalText, p50Change } from '../tune/decision.js';
import type { TunePlan } from '../contracts/tune-plan.js';
import type { ChangeResult, Figures, SessionResult } from '../contracts/tune-session.js';
import { armCostCells, gridPointText, priceText } from './tune-price.js';

function persistedText(p: PersistedReport, revert: string): string[] {
  const lines = ['', `Persisted (${revert} removes it again):`];
  for (const a of p.actions) lines.push(`  ${a.target}: ${a.text}`);
  for (const w of p.writes) lines.push(`  wrote: ${w}`);
  for (const n of p.notes) lines.push(`  note: ${n}`);
  for (const m of p.manual) lines.push(`  by hand: ${m}`);
  return lines;
}

const pct = (share: number | null) => (share === null ? '-' : `${(share * 100).toFixed(1)} %`);
const delta = (a: number, b: number) => `${b <= a ? '' : '+'}${(((b - a) / a) * 100).toFixed(1)} %`;

function planText(plan: TunePlan): string[] {
  const lines: string[] = [];
  if (plan.changes.length) {
    lines.push('Changes to try (each measured against the current value in randomly ordered blocks; kept only when even the conservative end of its interval is 3 % or more faster):');
    for (const c of plan.changes) lines.push(`  ${c.action.target}: ${c.from.join(',')} -> ${c.action.grid ? `the best of ${c.action.grid.join(', ')}` : c.action.value}   (${c.findingId})`);
  } else {
    lines.push('Nothing to tune at runtime: no rule recommends a change nvprobe can measure here.');
  }
  if (plan.rebootOnly.length) {
    lines.push('Recommended, but only effective after a reboot (not measured; written by --persist):');
    for (const r of plan.rebootOnly) lines.push(`  ${r.action.target} = ${r.action.value}   (${r.findingId})`, ...(r.reason ? [`    why: ${r.reason}`] : []));
  }
  for (const k of plan.skipped) lines.push(`Not tried: ${k.action.target} = ${k.action.value}: ${k.reason}`);
  return lines;
}

function figuresTable(before: Figures, after: Figures, noise = false): string {
  // The decisions' series: interleaved untraced rounds, timed by the process (tracing every round
  // would add its own cost to both arms); the native estimate of the same states is below.
  return table([
    ["process clock − nvprobe's per-call cost", 'before', 'after', noise ? 'difference (noise)' : 'change'],
    ['p50 µs', fmtUs(before.p50Us), fmtUs(after.p50Us), delta(before.p50Us, after.p50Us)],
    ['p99 µs', fmtUs(before.p99Us), fmtUs(after.p99Us), delta(before.p99Us, after.p99Us)],
    ['p99.9 µs', fmtUs(before.p999Us), fmtUs(after.p999Us), delta(before.p999Us, after.p999Us)],
    ['IOPS', String(before.iops), String(after.iops), delta(before.iops, after.iops)],
    ['idle CPU time polling', pct(before.idlePollShare), pct(after.idlePollShare), ''],
    ...cpuRows(before, after),
  ]);
}

/** The price of each arm's reads: nvprobe's CPU per read, the vCPUs' busy share, steal. */
function cpuRows(before: Figures, after: Figures): string[][] {
  if (!before.cpu && !after.cpu) return [];
  const b = armCostCells(before.cpu);
  const a = armCostCells(after.cpu);
  return [
    ['nvprobe CPU µs per read', b.perRead, a.perRead, ''],
    ['vCPUs busy during the reads', b.busy, a.busy, ''],
    ['steal (largest vCPU)', b.steal, a.steal, ''],
  ];
}

/** How the grid's value was chosen, in one line. */
function gridChoiceText(c: ChangeResult): string {
  const g = c.gridChoice!;
  const by = g.costBy === 'idle-poll-share' ? 'idle polling share' : "vCPUs' busy share during the reads";
  const cap =
    g.maxIdlePollShare === null
      ? 'no cap'
      : `cap ${pct(g.maxIdlePollShare)} of a vCPU idle polling${g.excluded.length ? `, over it: ${g.excluded.map((e) => `${e.value} (${pct(e.idlePollShare)})`).join(', ')}` : ''}`;
  return g.reachesBest
    ? `${c.to}, the cheapest (by ${by}) within ${pct(g.tolerance)} of the best p50 (the noise floor, at least 2 %); ${cap}`
    : `${c.to}, the fastest under the cap: no value within ${pct(g.tolerance)} of the best is under it; ${cap}`;
}

/**
 * Per phase on the kernel's clock, before and after (one traced measurement each): where a
 * change took its microseconds (haltpoll: a shorter completion → return).
 */
export function phaseBeforeAfter(res: SessionResult): string[] {
  const kc = res.kernelClock;
  if (!kc) return [];
  const { before: b, after: a } = kc;
  if (!b.available || !a.available) return ['', `Per phase (kernel clock): not measured: ${!b.available ? b.reason : (a as { reason: string }).reason}`];
  if (!b.phases || !a.phases) return ['', `Per phase (kernel clock): total only: ${b.noPhasesReason ?? a.noPhasesReason ?? 'no block events'}`];
  const p50 = (s: { percentilesUs: { p50: number } }) => s.percentilesUs.p50;
  const row = (label: string, x: { percentilesUs: { p50: number; p99: number } }, y: { percentilesUs: { p50: number; p99: number } }) => [
    label,
    fmtUs(p50(x)),
    fmtUs(p50(y)),
    p50(x) > 0 ? delta(p50(x), p50(y)) : '-',
    fmtUs(x.percentilesUs.p99),
    fmtUs(y.percentilesUs.p99),
  ];
  return [
    '',
    `Per phase, kernel clock (${res.kept.length ? 'one traced measurement of the original settings and one of the final ones' : 'two traced measurements of the unchanged settings'}, back to back at the end: ${b.totalReads ?? b.reads} / ${a.totalReads ?? a.reads} reads timed; phases from the slices with every event on):`,
    table([
      ['µs', 'p50 before', 'p50 after', 'change', 'p99 before', 'p99 after'],
      ...(b.native && a.native ? [row('read latency (native estimate)', b.native.total.latency, a.native.total.latency)] : []),
      row('kernel window (syscall entry → exit)', b.total.latency, a.total.latency),
      row('submit (syscall → issue, in-window)', b.phases.submit.latency, a.phases.submit.latency),
      row('device and host', b.phases.device.latency, a.phases.device.latency),
      row('completion → return', b.phases.completion.latency, a.phases.completion.latency),
      row('guest-side (submit + completion)', b.phases.guestSide, a.phases.guestSide),
    ]),
    ...placementBeforeAfter(placementSummary(b.placement), placementSummary(a.placement)),
  ];
}

/**
 * Where the two traced measurements' reads waited against their completions: a reader the
 * scheduler moved off the completions' CPU between them moves both sides of a read on its own.
 */
function placementBeforeAfter(b: SidePlacement | null, a: SidePlacement | null): string[] {
  if (!b || !a) return [];
  const cpu = a.completionCpu ?? b.completionCpu;
  const lines = [`  reads completed on their reader's CPU: ${sameCpuPercent(b)} before, ${sameCpuPercent(a)} after${cpu !== null ? ` (completions on CPU ${cpu})` : ''}`];
  if (placementMoved(b, a))
    lines.push("  NOTE the reader waited on other CPUs in the two measurements: part of the phases' change is where it ran, not the settings (the A/B decisions above interleave their rounds)");
  return lines;
}

/** The noise floor: the unchanged settings against themselves, measured in this run like a decision. */
export function noiseLine(res: SessionResult): string | null {
  const n = res.noise;
  if (!n) return null;
  return `Noise floor: the current settings against themselves, ${n.blocks.length} blocks: ratios ${n.range[0].toFixed(3)}–${n.range[1].toFixed(3)} (up to ${(n.spread * 100).toFixed(1)} % apart with nothing changed).`;
}

/** The rule every decision applied, in one sentence. */
export function ruleLine(res: SessionResult): string | null {
  const r = res.rule;
  if (!r) return null;
  return `Rule: keep a change only when the conservative end of its interval is ${r.minGain * 100} % or more faster; blocks A B B A / B A A B in random order, signed-rank test looked at after ${r.looks.join(', ')} blocks; a change that does nothing is kept at most ${r.falseKeepRate * 100} % of the time.`;
}

/** The final state against the original, interleaved at the end: the run's result in one line. */
export function finalLine(res: SessionResult): string | null {
  const f = res.final;
  if (!f) return null;
  return `Result: the final settings against the original ones, ${f.blocks.length} interleaved blocks at the end: ${p50Change(f.ratio)} (ratio ${f.ratio.toFixed(3)}, 96 % interval ${intervalText(f.interval)}).`;
}

export function renderTuneText(r: TuneReport): string {
  const lines: string[] = [];
  if (r.dryRun || !r.result) {
    lines.push(r.dryRun ? 'nvprobe tune --dry-run: nothing will be changed' : 'nvprobe tune');
    lines.push(...planText(r.plan));
    if (r.persisted) lines.push(...persistedText(r.persisted, revertCommand(r.savedTo)));
    if (r.savedTo) lines.push('', `Saved: ${r.savedTo}`);
    return `${lines.join('\n')}\n`;
  }
  const res = r.result;
  lines.push(
    `nvprobe tune: run ${r.run}, measured on ${r.target?.path}${r.target?.scratch ? ' (scratch file)' : ''} with ${r.engine?.name}${r.engine?.polled.polled ? ' (polled)' : ''}, ${(res.elapsedMs / 1000).toFixed(1)} s`,
  );
  lines.push('');
  const rows = [['change', 'from', 'to', 'p50 B/A', 'interval', 'blocks', 'decision']];
  for (const c of res.changes)
    rows.push([
      c.target,
      c.from.join(','),
      String(c.to ?? '-'),
      c.medianRatio === null ? '-' : c.medianRatio.toFixed(3),
      c.evidence?.blocks ? intervalText(c.evidence.interval) : '-',
      String(c.evidence?.blocks ?? '-'),
      c.decision,
    ]);
  lines.push(table(rows));
  for (const c of res.changes) {
    lines.push(`  ${c.target}: ${c.reason}`);
    const price = priceText(c);
    if (price) lines.push(`    ${c.decision === 'kept' ? `kept ${c.target} = ${c.to}: ${c.medianRatio !== null ? p50Change(c.medianRatio) : 'prerequisite'}; ` : ''}${price}`);
    if (c.grid) lines.push(`    grid (median p50, cost): ${c.grid.map((g) => gridPointText(g, fmtUs)).join('; ')}`);
    if (c.gridChoice) lines.push(`    chosen: ${gridChoiceText(c)}`);
  }
  const noise = noiseLine(res);
  const rule = ruleLine(res);
  lines.push('', ...(noise ? [noise] : []), ...(rule ? [rule] : []));
  if (res.kept.length === 0) {
    // Nothing changed: before and after measure the same settings, so any difference is noise.
    lines.push('', 'No change kept: the settings are as they were, and the differences below are run-to-run noise.');
    lines.push(figuresTable(res.before, res.after, true));
  } else {
    const fin = finalLine(res);
    lines.push('', ...(fin ? [fin] : []), figuresTable(res.before, res.after));
  }
  lines.push(...phaseBeforeAfter(res));
  if (res.partial) lines.push('', `Stopped early (${res.stopReason}): the changes not evaluated were left as they were.`);
  if (r.plan.rebootOnly.length) {
    lines.push('', 'Recommended, but only effective after a reboot (not measured):');
    for (const x of r.plan.rebootOnly) lines.push(`  ${x.action.target} = ${x.action.value}`, ...(x.reason ? [`    why: ${x.reason}`] : [])); // runs saved before reasons were recorded have none
  }
  for (const k of r.plan.skipped) lines.push(`Not tried: ${k.action.target}: ${k.reason}`);
  if (r.persisted) lines.push(...persistedText(r.persisted, revertCommand(r.savedTo)));
  if (r.savedTo) lines.push('', `Saved: ${r.savedTo}`);
  if (res.kept.length) lines.push(`Kept ${res.kept.length} change(s); undo them with: ${revertCommand(r.savedTo)}`);
  return `${lines.join('\n')}\n`;
}

/** The revert command for a run's changes: the state dir it was saved under, unless that is the default. */
function revertCommand(savedTo: string | null): string {
  // savedTo is STATE_DIR/runs/RUN.json.
  const dir = savedTo ? savedTo.split('/').slice(0, -2).join('/') : null;
  return `nvprobe revert${dir ? stateDirFlag(dir) : ''}`;
}

import type { PersistedReport, TuneReport } from '../contracts/tune-document.js';
import type { TunePlan } from '../tune/plan.js';
import type { Figures, SessionResult } from '../tune/session.js';
import { fmtUs, table } from './format.js';

function persistedText(p: PersistedReport): string[] {
  const lines = ['', 'Persisted (nvprobe revert removes it again):'];
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
    lines.push('Changes to try (each measured against the current value; kept only if p50 improves by 3 % or more):');
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
  return table([
    ['', 'before', 'after', noise ? 'difference (noise)' : 'change'],
    ['p50 µs', fmtUs(before.p50Us), fmtUs(after.p50Us), delta(before.p50Us, after.p50Us)],
    ['p99 µs', fmtUs(before.p99Us), fmtUs(after.p99Us), delta(before.p99Us, after.p99Us)],
    ['p99.9 µs', fmtUs(before.p999Us), fmtUs(after.p999Us), delta(before.p999Us, after.p999Us)],
    ['IOPS', String(before.iops), String(after.iops), delta(before.iops, after.iops)],
    ['idle CPU time polling', pct(before.idlePollShare), pct(after.idlePollShare), ''],
  ]);
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
    `Per phase, kernel clock (one traced measurement before and one after: ${b.totalReads ?? b.reads} / ${a.totalReads ?? a.reads} reads timed; phases from the slices with every event on):`,
    table([
      ['µs', 'p50 before', 'p50 after', 'change', 'p99 before', 'p99 after'],
      row('total (syscall entry → exit)', b.total.latency, a.total.latency),
      row('submit (syscall → issue)', b.phases.submit.latency, a.phases.submit.latency),
      row('device and host', b.phases.device.latency, a.phases.device.latency),
      row('completion → return', b.phases.completion.latency, a.phases.completion.latency),
      row('guest-side (submit + completion)', b.phases.guestSide, a.phases.guestSide),
    ]),
  ];
}

/** How much the unchanged setting's p50 moved between rounds of the A/B pairs (the noise floor). */
export function noiseSpread(res: SessionResult): string | null {
  const a = res.changes.flatMap((c) => c.pairs.map((p) => p.a.p50Us));
  const ratios = res.changes.flatMap((c) => c.pairs.map((p) => p.ratio));
  if (a.length < 2 && !ratios.length) return null;
  const parts: string[] = [];
  if (a.length >= 2) {
    const lo = Math.min(...a);
    const hi = Math.max(...a);
    parts.push(`p50 of the unchanged settings ${fmtUs(lo)}–${fmtUs(hi)} µs over ${a.length} rounds (${(((hi - lo) / lo) * 100).toFixed(1)} % apart)`);
  }
  if (ratios.length) parts.push(`pair ratios B/A ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}`);
  return `Spread: ${parts.join('; ')}.`;
}

export function renderTuneText(r: TuneReport): string {
  const lines: string[] = [];
  if (r.dryRun || !r.result) {
    lines.push(r.dryRun ? 'nvprobe tune --dry-run: nothing will be changed' : 'nvprobe tune');
    lines.push(...planText(r.plan));
    if (r.persisted) lines.push(...persistedText(r.persisted));
    if (r.savedTo) lines.push('', `Saved: ${r.savedTo}`);
    return `${lines.join('\n')}\n`;
  }
  const res = r.result;
  lines.push(
    `nvprobe tune: run ${r.run}, measured on ${r.target?.path}${r.target?.scratch ? ' (scratch file)' : ''} with ${r.engine?.name}${r.engine?.polled.polled ? ' (polled)' : ''}, ${(res.elapsedMs / 1000).toFixed(1)} s`,
  );
  lines.push('');
  const rows = [['change', 'from', 'to', 'p50 B/A', 'decision']];
  for (const c of res.changes) rows.push([c.target, c.from.join(','), String(c.to ?? '-'), c.medianRatio === null ? '-' : c.medianRatio.toFixed(3), c.decision]);
  lines.push(table(rows));
  for (const c of res.changes) {
    lines.push(`  ${c.target}: ${c.reason}`);
    if (c.grid) lines.push(`    grid (median p50 µs): ${c.grid.map((g) => `${g.value}: ${fmtUs(g.medianP50Us)}`).join(', ')}`);
    if (c.pollShare) lines.push(`    idle CPU time spent polling: ${pct(c.pollShare.before)} before, ${pct(c.pollShare.after)} after`);
  }
  if (res.kept.length === 0) {
    // Nothing changed: before and after measure the same settings, so any difference is noise.
    lines.push('', 'No change kept: the settings are as they were, and the differences below are run-to-run noise.');
    const spread = noiseSpread(res);
    if (spread) lines.push(spread);
    lines.push(figuresTable(res.before, res.after, true));
  } else {
    lines.push('', figuresTable(res.before, res.after));
  }
  lines.push(...phaseBeforeAfter(res));
  if (res.partial) lines.push('', `Stopped early (${res.stopReason}): the changes not evaluated were left as they were.`);
  if (r.plan.rebootOnly.length) {
    lines.push('', 'Recommended, but only effective after a reboot (not measured):');
    for (const x of r.plan.rebootOnly) lines.push(`  ${x.action.target} = ${x.action.value}`, ...(x.reason ? [`    why: ${x.reason}`] : [])); // runs saved before reasons were recorded have none
  }
  for (const k of r.plan.skipped) lines.push(`Not tried: ${k.action.target}: ${k.reason}`);
  if (r.persisted) lines.push(...persistedText(r.persisted));
  if (r.savedTo) lines.push('', `Saved: ${r.savedTo}`);
  if (res.kept.length) lines.push(`Kept ${res.kept.length} change(s); undo them with: nvprobe revert`);
  return `${lines.join('\n')}\n`;
}

import type { Finding, FindingStatus, MeasuredVerdict } from '../contracts/rule-types.js';
import { countByStatus, measuredNoGain } from '../tune/verdicts.js';

type Group = FindingStatus | 'measuredNoGain' | 'tradeoff';

const GROUPS: Array<{ status: Group; heading: string }> = [
  { status: 'recommend', heading: 'Apply in the guest' },
  { status: 'tradeoff', heading: 'A trade-off: apply only if you accept what it gives up (tune tries it only when named with --only)' },
  { status: 'measuredNoGain', heading: 'Recommended, but measured here by tune: no gain (put back)' },
  { status: 'advise', heading: 'Ask the host admin' },
  { status: 'info', heading: 'Worth knowing' },
  { status: 'ok', heading: 'Fine' },
  { status: 'n/a', heading: 'Not applicable here' },
];

function fmtValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function wrap(text: string, indent: string, width = 100): string {
  const words = text.replace(/\s+/g, ' ').trim().split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && indent.length + line.length + 1 + w.length > width) {
      lines.push(indent + line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(indent + line);
  return lines.join('\n');
}

function renderFinding(f: Finding, verbose: boolean): string {
  // A rule's title describes the problem; for a rule that passed, say what was checked instead.
  if (f.status === 'ok' || f.status === 'n/a') {
    return `  ${f.id}: ${f.evidence.map((e) => `${e.field} = ${fmtValue(e.value)}`).join(', ')}`;
  }
  const out = [`  [${f.severity}] ${f.title}  (${f.id})`];
  for (const e of f.evidence) out.push(`      evidence  ${e.field} = ${fmtValue(e.value)}${e.source ? `  (${e.source})` : ''}`);
  out.push(wrap(`why: ${f.rationale}`, '      '));
  for (const a of f.actions) {
    out.push(`      change    ${a.target} = ${a.value}${a.runtime ? ' (at once)' : ''}${a.reboot ? ' (needs a reboot)' : ''}${a.grid ? ` [tune tries ${a.grid.join(', ')}]` : ''}`);
  }
  if (f.tradeoff) out.push(wrap(`gives up: ${f.tradeoff}`, '      '));
  if (f.measured) out.push(wrap(`measured  ${measuredLine(f.measured)}`, '      '));
  if (f.hostAdvice) {
    out.push(wrap(`host: ${f.hostAdvice.text}`, '      '));
    if (f.hostAdvice.libvirtXml) out.push('      libvirt:', ...f.hostAdvice.libvirtXml.split('\n').map((l) => `        ${l}`));
    if (f.hostAdvice.qemu) out.push(`      qemu:     ${f.hostAdvice.qemu}`);
  }
  if (verbose) for (const r of f.references) out.push(`      see       ${r}`);
  return out.join('\n');
}

export function renderFindingsText(findings: Finding[], opts: { showAll: boolean; verbose: boolean }): string {
  const sections: string[] = [];
  for (const g of GROUPS) {
    if (g.status === 'n/a' && !opts.showAll) continue;
    const list = findings.filter((f) => groupOf(f) === g.status);
    if (!list.length) continue;
    sections.push(`${g.heading} (${list.length})\n${list.map((f) => renderFinding(f, opts.verbose)).join('\n')}`);
  }
  const counts = countByStatus(findings);
  const tradeoffs = findings.filter((f) => groupOf(f) === 'tradeoff').length;
  const noGain = counts.measuredNoGain ? `, ${counts.measuredNoGain} measured: no gain here` : '';
  sections.push(
    `${counts.recommend - tradeoffs} to apply in the guest${tradeoffs ? `, ${tradeoffs} trade-off${tradeoffs === 1 ? '' : 's'}` : ''}${noGain}, ${counts.advise} for the host admin, ${counts.info} ${counts.info === 1 ? 'note' : 'notes'}, ${counts.ok} fine${opts.showAll ? `, ${counts['n/a']} not applicable` : ''}.`,
  );
  return `${sections.join('\n\n')}\n`;
}

/** "by tune on 2026-11-25 14:02 UTC: p50 8.8 % higher: slower with the change, 3 of 3 pairs agree — reverted". */
export function measuredLine(m: MeasuredVerdict): string {
  const when = m.at.replace('T', ' ').slice(0, 16);
  const what = m.decision === 'reverted' ? 'reverted' : `kept (${m.target} = ${m.to})`;
  return `by tune on ${when} UTC (run ${m.runId}): ${m.reason} — ${what}`;
}

/** Where a finding is listed: a recommendation with a trade-off apart from those that cost nothing else. */
export function groupOf(f: Finding): Group {
  if (measuredNoGain(f)) return 'measuredNoGain';
  return f.status === 'recommend' && f.tradeoff ? 'tradeoff' : f.status;
}

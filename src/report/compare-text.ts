import { PHASE_ROWS } from './compare-latency.js';
import { duringReadsRows } from './compare-cpu.js';
import type { CompareDocument, CompareSide, Quantiles, SideLatency } from '../contracts/compare-document.js';
import { signedPct, signedUs } from './compare-verdict.js';
import { fmtUs, table } from './format.js';

/** The terminal view of `report A B`: who is compared, what differs (ranked), the latency, the sentence. */
export function renderCompareText(doc: CompareDocument): string {
  const out: string[] = ['nvprobe report: A against B', `  A  ${sideLine(doc.sides.A)}`, `  B  ${sideLine(doc.sides.B)}`, `  ${doc.identity.sentence}`, ''];
  out.push('Configuration differences, most relevant to QD1 latency first:');
  const diffs = doc.configuration.differences;
  if (diffs.length === 0) out.push(doc.configuration.unknown.length ? '  none among what both sides show' : '  none');
  else
    out.push(
      indent(
        leftTable([
          ['#', 'what', 'A', 'B', 'why it matters'],
          // A family (virtio features, boot parameters) says its reason once.
          ...diffs.map((d, i) => [String(i + 1), d.subject ? `${d.subject}: ${d.label}` : d.label, d.a ?? 'absent', d.b ?? 'absent', d.why === diffs[i - 1]?.why ? '(as above)' : d.why]),
        ]),
      ),
    );
  for (const u of doc.configuration.unknown) out.push(`  ${u}`);
  out.push('', 'Findings that differ:');
  const f = doc.findings;
  if (f.unknown) out.push(`  ${f.unknown}`);
  else if (f.differences.length === 0) out.push('  none');
  else out.push(indent(leftTable([['finding', 'severity', 'A', 'B', 'title'], ...f.differences.map((x) => [x.id, x.severity, x.a ?? 'absent', x.b ?? 'absent', x.title])])));
  out.push('', ...latencyLines(doc), '', doc.verdict.sentence, '');
  return out.join('\n');
}

function sideLine(s: CompareSide): string {
  const kind = s.sourceKind === 'bundle' ? 'bundle' : s.sourceKind === 'run' ? 'saved tune run' : 'probe document';
  const parts = [
    kind,
    s.createdAt ? `made ${s.createdAt}` : null,
    s.hostToken ? `host ${s.hostToken}` : null,
    s.redacted ? 'identifiers redacted' : null,
    s.nvprobeVersion ? `nvprobe ${s.nvprobeVersion}` : null,
  ];
  return `${s.source} (${parts.filter(Boolean).join(', ')})`;
}

/** The headline and its phases, A and B side by side with B − A, p50 and p99. */
function latencyLines(doc: CompareDocument): string[] {
  const { A, B, missing, note } = doc.latency;
  if (!A || !B) return ['Latency: not compared', ...(['A', 'B'] as const).filter((s) => missing[s]).map((s) => `  ${s}: ${missing[s]}`)];
  const row = (label: string, a: Quantiles, b: Quantiles) => [
    label,
    fmtUs(a.p50Us),
    fmtUs(b.p50Us),
    `${signedUs(b.p50Us - a.p50Us)} (${signedPct(b.p50Us - a.p50Us, a.p50Us)})`,
    fmtUs(a.p99Us),
    fmtUs(b.p99Us),
    `${signedUs(b.p99Us - a.p99Us)} (${signedPct(b.p99Us - a.p99Us, a.p99Us)})`,
  ];
  const rows = [['latency µs', 'A p50', 'B p50', 'B − A', 'A p99', 'B p99', 'B − A'], row(A.series === B.series ? A.series : 'headline (see the note)', A, B)];
  if (A.phases && B.phases) for (const [k, label] of PHASE_ROWS) rows.push(row(label, A.phases[k], B.phases[k]));
  const lines = [table(rows)];
  if (A.phases && B.phases) lines.push("  phases on the kernel clock, from the slices with every event on: they add up to those reads' total, not to the headline");
  else {
    const sides: Array<[string, SideLatency]> = [
      ['A', A],
      ['B', B],
    ];
    for (const [s, l] of sides) if (!l.phases) lines.push(`  ${s}: no phases (${l.noPhasesReason ?? 'none'})`);
  }
  const cpu = duringReadsRows(A, B);
  if (cpu.length) lines.push('', leftTable([['during the reads', 'A', 'B'], ...cpu]));
  if (note) lines.push(`  NOTE ${note}`);
  return lines;
}

/** Columns of words, all left-aligned (format.ts's table right-aligns numbers). */
function leftTable(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) for (const [i, c] of r.entries()) widths[i] = Math.max(widths[i] ?? 0, c.length);
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

import { PHASE_ROWS } from './compare-latency.js';
import { duringReadsRows } from './compare-cpu.js';
import type { CompareDocument, CompareSide, Quantiles } from '../contracts/compare-document.js';
import type { CompareModel } from './compare-model.js';
import { signedPct, signedUs } from './compare-verdict.js';
import { fmtUs } from './format.js';
import { escapeHtml as e } from './html-escape.js';
import { baseName, htmlPage } from './html-report.js';
import { cdfSvg } from './svg-charts.js';

/**
 * `report A B -o FILE`: one self-contained page. The answer first (one machine or two, the closing
 * sentence, the first differences), then the ranked configuration differences, the findings that
 * differ, the latency table and A's and B's CDFs overlaid: the headline and each phase.
 */
export function renderCompareHtml(m: CompareModel, generatedAt = new Date()): string {
  const d = m.doc;
  const body = [
    '<h1>nvprobe comparison: A against B</h1>',
    `<p class="muted identity" id="identity">${e(d.identity.sentence)}. Report generated ${e(generatedAt.toISOString())}.</p>`,
    sidesTable(d),
    ...summary(d),
    ...configuration(d),
    ...findings(d),
    ...latency(m),
  ];
  return htmlPage('nvprobe comparison', body);
}

function sidesTable(d: CompareDocument): string {
  const row = (name: string, s: CompareSide) =>
    `<tr><th>${name}</th><td><code>${e(baseName(s.source))}</code></td><td>${e(s.sourceKind)}</td><td>${e(s.createdAt ?? '?')}</td><td>${e(s.hostToken ?? '-')}${s.redacted ? ' <span class="muted">(identifiers redacted)</span>' : ''}</td><td>${e(s.nvprobeVersion ?? '?')}</td></tr>`;
  return `<table class="sides"><tr><th></th><th>input</th><th>kind</th><th>made</th><th>host</th><th>nvprobe</th></tr>${row('A', d.sides.A)}${row('B', d.sides.B)}</table>`;
}

function summary(d: CompareDocument): string[] {
  const items = [`<li class="verdict" data-side="${e(d.verdict.side)}"><strong>${e(d.verdict.sentence)}</strong></li>`];
  const top = d.configuration.differences.slice(0, 3);
  if (top.length)
    items.push(
      `<li>First differences (<a href="#configuration">all ${d.configuration.differences.length}</a>): ${top.map((x) => `<code>${e(what(x))}</code> ${e(x.a ?? 'absent')} → ${e(x.b ?? 'absent')}`).join('; ')}</li>`,
    );
  else items.push(`<li>No configuration difference${d.configuration.unknown.length ? ' among what both sides show' : ''}.</li>`);
  return ['<section class="summary" id="summary">', '<h2>Summary</h2>', `<ul>${items.join('')}</ul>`, '</section>'];
}

const what = (x: { subject: string | null; label: string }) => (x.subject ? `${x.subject}: ${x.label}` : x.label);

function configuration(d: CompareDocument): string[] {
  const out = [
    '<h2 id="configuration">Configuration differences</h2>',
    '<p>Most relevant to QD1 latency first: what decides a wake-up, polling or the path of a read before what costs nanoseconds.</p>',
  ];
  const diffs = d.configuration.differences;
  if (diffs.length)
    out.push(
      `<table class="config-differences"><tr><th>#</th><th>what</th><th>A</th><th>B</th><th>why it matters</th></tr>${diffs
        .map(
          (x, i) =>
            `<tr data-key="${e(x.key)}" data-rank="${x.rank}"><td class="num">${i + 1}</td><td>${e(what(x))}</td><td><code>${e(x.a ?? 'absent')}</code></td><td><code>${e(x.b ?? 'absent')}</code></td><td>${x.why === diffs[i - 1]?.why ? '<span class="muted">(as above)</span>' : e(x.why)}</td></tr>`,
        )
        .join('')}</table>`,
    );
  else out.push('<p class="muted">None.</p>');
  for (const u of d.configuration.unknown) out.push(`<p class="muted">${e(u)}.</p>`);
  return out;
}

function findings(d: CompareDocument): string[] {
  const out = ['<h2 id="findings">Findings that differ</h2>'];
  const f = d.findings;
  if (f.unknown) out.push(`<p class="muted">${e(f.unknown)}.</p>`);
  else if (f.differences.length === 0) out.push('<p class="muted">None: both sides have the same findings.</p>');
  else
    out.push(
      `<table class="finding-differences"><tr><th>finding</th><th>severity</th><th>A</th><th>B</th></tr>${f.differences
        .map(
          (x) => `<tr id="finding-${e(x.id)}"><td>${e(x.title)} <span class="muted">${e(x.id)}</span></td><td>${e(x.severity)}</td><td>${e(x.a ?? 'absent')}</td><td>${e(x.b ?? 'absent')}</td></tr>`,
        )
        .join('')}</table>`,
    );
  return out;
}

function latency(m: CompareModel): string[] {
  const { A, B, missing, note } = m.doc.latency;
  const out = ['<h2 id="latency">Latency</h2>'];
  if (!A || !B) {
    out.push(
      `<p class="muted">Not compared: ${(['A', 'B'] as const)
        .filter((s) => missing[s])
        .map((s) => `${s} ${e(missing[s])}`)
        .join('; ')}.</p>`,
    );
    return out;
  }
  const row = (label: string, a: Quantiles, b: Quantiles) =>
    `<tr><td>${e(label)}</td><td class="num">${e(fmtUs(a.p50Us))}</td><td class="num">${e(fmtUs(b.p50Us))}</td><td class="num">${e(`${signedUs(b.p50Us - a.p50Us)} (${signedPct(b.p50Us - a.p50Us, a.p50Us)})`)}</td><td class="num">${e(fmtUs(a.p99Us))}</td><td class="num">${e(fmtUs(b.p99Us))}</td><td class="num">${e(`${signedUs(b.p99Us - a.p99Us)} (${signedPct(b.p99Us - a.p99Us, a.p99Us)})`)}</td></tr>`;
  const rows = [row(A.series === B.series ? A.series : 'headline (see the note)', A, B)];
  if (A.phases && B.phases) for (const [k, label] of PHASE_ROWS) rows.push(row(label, A.phases[k], B.phases[k]));
  out.push(`<table class="latency-compare"><tr><th>µs</th><th>A p50</th><th>B p50</th><th>B − A</th><th>A p99</th><th>B p99</th><th>B − A</th></tr>${rows.join('')}</table>`);
  const cpu = duringReadsRows(A, B);
  if (cpu.length)
    out.push(
      `<table class="cpu-compare"><tr><th>during the reads</th><th>A</th><th>B</th></tr>${cpu.map(([k, a, b]) => `<tr><td>${e(k)}</td><td class="num">${e(a)}</td><td class="num">${e(b)}</td></tr>`).join('')}</table>`,
    );
  if (note) out.push(`<p><strong>Note:</strong> ${e(note)}.</p>`);
  for (const [s, l] of [
    ['A', A],
    ['B', B],
  ] as const)
    if (!l.phases) out.push(`<p class="muted">${s} has no phases (${e(l.noPhasesReason ?? 'none')}): the split of a read between the guest and the device and host is unknown.</p>`);
  for (const c of m.charts) {
    if (c.phase === 'total') out.push('<h3>Cumulative distribution, A and B</h3>');
    else if (c.phase === 'submit') out.push('<h3 id="phases">Each phase on the kernel clock, A and B</h3>');
    out.push(`<figure class="compare-cdf" data-phase="${e(c.phase)}"><figcaption>${e(c.title)}</figcaption>`, cdfSvg(c.series), '</figure>');
  }
  return out;
}

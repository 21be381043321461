import { Histogram } from '../stats/histogram.js';
import type { Finding } from '../contracts/rule-types.js';
import { groupOf, measuredLine } from './findings-text.js';
import { diskModel } from './detect-summary.js';
import { summarySection, summarySplit } from './html-summary.js';
import { cpuSentence, fmtShare, tickShare } from './cpu-cost-text.js';
import { fmtBytes, fmtUs } from './format.js';
import { escapeHtml as e } from './html-escape.js';
import { latencySeries, phaseCharts, type ReportModel } from './report-model.js';
import { cdfSvg, histogramSvg, sharedRange } from './svg-charts.js';
import { intervalText } from '../tune/decision.js';
import { finalLine, noiseLine, ruleLine } from './tune-text.js';
import { tuneCostSection } from './html-tune-cost.js';
import type { DiskInfo } from '../contracts/detect-disks.js';

const GROUPS: Array<{ status: ReturnType<typeof groupOf>; heading: string }> = [
  { status: 'recommend', heading: 'Apply in the guest' },
  { status: 'tradeoff', heading: 'A trade-off: apply only if you accept what it gives up (tune tries it only when named with --only)' },
  { status: 'advise', heading: 'Ask the host admin' },
  { status: 'info', heading: 'Worth knowing' },
  { status: 'ok', heading: 'Fine' },
];

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1000px;padding:0 16px;color:#222}
h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f5f5f5}
td.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#666}
.finding{border-left:4px solid #999;padding:4px 12px;margin:12px 0;background:#fafafa}
.finding.recommend{border-color:#1565c0}.finding.advise{border-color:#ef6c00}.finding.info{border-color:#6a1b9a}.finding.ok{border-color:#2e7d32}
pre{background:#f3f3f3;padding:8px;overflow-x:auto;font-size:12px}code{font-size:12px}
.summary{border:2px solid #1565c0;border-radius:6px;padding:4px 16px;background:#f4f8fd}.summary h2{margin-top:8px;border:0}.summary li{margin:4px 0}
.kept{color:#2e7d32;font-weight:600}tr.chosen td{background:#eef7ee}.reverted{color:#c62828}.skipped{color:#666}
`;

/** One self-contained HTML page (inline CSS and SVG, no scripts, no external assets). */
export function renderHtmlReport(m: ReportModel, generatedAt = new Date()): string {
  const body: string[] = [];
  const title = m.sourceKind === 'bundle' ? 'nvprobe diagnostics report' : m.sourceKind === 'run' ? 'nvprobe tune report' : 'nvprobe probe report';
  body.push(`<h1>${title}</h1>`);
  const made = m.manifest?.createdAt ?? m.run?.createdAt ?? m.probe?.createdAt ?? null;
  body.push(
    `<p class="muted">From <code>${e(baseName(m.source))}</code>${made ? `, collected ${e(made)}` : ''}${m.manifest ? `, host ${e(m.manifest.hostToken)}, nvprobe ${e(m.manifest.nvprobeVersion)}${m.manifest.redacted ? ', identifiers redacted' : ''}` : ''}. Report generated ${e(generatedAt.toISOString())}.</p>`,
  );
  // The answer first (summary, what a tune run kept, the latency and where it goes), the evidence after.
  body.push(...summarySection(m), ...changesSection(m), ...latencySection(m), ...phasesSection(m), ...findingsSection(m), ...machineSection(m), ...disksSection(m), ...collectorsSection(m));
  return htmlPage(title, body);
}

/** The page around a report's sections: inline CSS, no scripts, no external assets. */
export function htmlPage(title: string, body: string[]): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}

export function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

function rows(pairs: Array<[string, string | null | undefined]>): string {
  return `<table>${pairs
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `<tr><th>${e(k)}</th><td>${e(v)}</td></tr>`)
    .join('')}</table>`;
}

function machineSection(m: ReportModel): string[] {
  const out = ['<h2 id="machine">Machine</h2>'];
  const s = m.snapshot;
  if (!s) {
    const t = m.run?.target ?? m.probe?.target;
    out.push(`<p class="muted">No machine snapshot in a ${m.sourceKind === 'run' ? 'saved run' : 'probe document'}: a bundle (<code>nvprobe collect</code>) has one.</p>`);
    if (t)
      out.push(
        rows([
          ['measured', `${t.path}${t.disk ? ` (disk ${t.disk})` : ''}`],
          ['engine', m.run?.engine ? `${m.run.engine.name}${m.run.engine.polled.polled ? ' (polled)' : ''}` : m.probe?.engine.name],
        ]),
      );
    return out;
  }
  const hv = s.hypervisor;
  out.push(
    rows([
      ['hypervisor', `${hv.kind}${hv.vendor ? ` (${[hv.vendor, hv.product].filter(Boolean).join(' / ')})` : ''}`],
      ['kernel', s.kernel.release],
      ['architecture', s.machine.architecture],
      ['CPU', s.machine.cpuModel],
      ['CPUs online', s.cpus.online ? String(s.cpus.online.length) : null],
      ['NUMA nodes', String(s.cpus.numaNodes.length)],
      ['cpuidle', `driver ${s.cpuidle.driver ?? 'none'}, governor ${s.cpuidle.governor ?? 'none'}`],
      ['haltpoll', s.cpuidle.haltpoll.explanation],
      ['root filesystem', s.rootFs ? `${s.rootFs.fsType ?? '?'} on ${s.rootFs.device ?? 'no block device'}` : null],
    ]),
  );
  return out;
}

function disksSection(m: ReportModel): string[] {
  if (!m.snapshot) return [];
  const disks = m.snapshot.disks.filter((d) => d.sizeBytes !== 0 || d.rootFs !== null);
  const yn = (b: boolean | null) => (b === null ? '-' : b ? 'yes' : 'no');
  const row = (d: DiskInfo) =>
    `<tr><td>${e(d.name)}</td><td>${e(d.transport)}</td><td>${e(diskModel(d))}</td><td class="num">${d.sizeBytes === null ? '?' : e(fmtBytes(d.sizeBytes))}</td><td class="num">${e(d.queues.hwQueues ?? '-')}</td><td class="num">${e(d.queues.pollQueuesParam ?? '-')}</td><td>${yn(d.queues.ioPoll)}</td><td>${e(d.settings.scheduler ?? '-')}</td><td>${e(d.numaNode ?? '-')}</td><td>${e(d.rootFs ?? '-')}</td></tr>`;
  return [
    '<h2 id="disks">Disks</h2>',
    `<table><tr><th>disk</th><th>transport</th><th>model</th><th>size</th><th>hw queues</th><th>poll_queues</th><th>io_poll</th><th>scheduler</th><th>NUMA</th><th>root fs</th></tr>${disks.map(row).join('')}</table>`,
  ];
}

function findingsSection(m: ReportModel): string[] {
  const out = ['<h2 id="findings">Findings</h2>'];
  if (!m.findings) {
    out.push('<p class="muted">No findings in this input (a bundle holds check.json).</p>');
    return out;
  }
  for (const g of GROUPS) {
    const list = m.findings.filter((f) => (g.status === 'recommend' || g.status === 'tradeoff' ? groupOf(f) : f.status) === g.status);
    if (list.length === 0) continue;
    out.push(`<h3>${e(g.heading)} (${list.length})</h3>`);
    // Rules that passed: one compact table (what was checked), not a box each.
    if (g.status === 'ok') out.push(fineTable(list));
    else for (const f of list) out.push(finding(f));
  }
  const na = m.findings.filter((f) => f.status === 'n/a').length;
  if (na > 0) out.push(`<p class="muted">${na} rules do not apply here.</p>`);
  return out;
}

function fineTable(list: Finding[]): string {
  const value = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v ?? null));
  return `<table class="fine"><tr><th>rule</th><th>checked</th></tr>${list
    .map(
      (f) =>
        `<tr id="finding-${e(f.id)}"><td>${e(f.title)} <span class="muted">${e(f.id)}</span></td><td>${f.evidence.map((x) => `<code>${e(x.field)} = ${e(value(x.value))}</code>`).join('<br>')}</td></tr>`,
    )
    .join('')}</table>`;
}

function finding(f: Finding): string {
  const value = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v ?? null));
  const parts = [
    `<div class="finding ${e(f.status)}" id="finding-${e(f.id)}">`,
    `<p><strong>${e(f.title)}</strong> <span class="muted">[${e(f.severity)}] ${e(f.id)}${f.reboot ? ', needs a reboot' : ''}</span></p>`,
  ];
  if (f.evidence.length)
    parts.push(
      `<table><tr><th>evidence</th><th>value</th><th>source</th></tr>${f.evidence.map((x) => `<tr><td><code>${e(x.field)}</code></td><td><code>${e(value(x.value))}</code></td><td><code>${e(x.source ?? '')}</code></td></tr>`).join('')}</table>`,
    );
  if (f.status !== 'ok') {
    parts.push(`<p>${e(f.rationale)}</p>`);
    if (f.actions.length)
      parts.push(`<p>Change in the guest: ${f.actions.map((a) => `<code>${e(a.target)} = ${e(a.value)}</code>${a.runtime ? ' (at once)' : ''}${a.reboot ? ' (needs a reboot)' : ''}`).join('; ')}</p>`);
    if (f.tradeoff) parts.push(`<p><strong>Gives up:</strong> ${e(f.tradeoff)}</p>`);
    if (f.measured) parts.push(`<p class="measured">Measured ${e(measuredLine(f.measured))}</p>`);
    if (f.hostAdvice) {
      parts.push(`<p><strong>Host advice:</strong> ${e(f.hostAdvice.text)}</p>`);
      if (f.hostAdvice.libvirtXml) parts.push(`<p>libvirt domain XML:</p><pre>${e(f.hostAdvice.libvirtXml)}</pre>`);
      if (f.hostAdvice.qemu) parts.push(`<p>QEMU:</p><pre>${e(f.hostAdvice.qemu)}</pre>`);
    }
  }
  parts.push('</div>');
  return parts.join('\n');
}

const PCT_KEYS = ['p50', 'p90', 'p99', 'p99.9'] as const;

function latencySection(m: ReportModel): string[] {
  const series = latencySeries(m);
  const out = ['<h2 id="latency">Latency</h2>'];
  if (series.length === 0) {
    out.push('<p class="muted">No measurements in this input.</p>');
    return out;
  }
  const what = m.run
    ? `QD1 random 4 KiB reads on <code>${e(m.run.target?.path ?? '?')}</code>, before and after tune run ${e(m.run.run)}`
    : `QD1 random reads on <code>${e(m.probe?.target.path ?? '?')}</code> (probe: ${e(latencySeries(m)[0]?.name ?? '')})`;
  out.push(`<p>${what}.</p>`);
  const pct = [50, 90, 99, 99.9];
  out.push(
    `<table class="percentiles"><tr><th>series</th><th>I/Os</th>${pct.map((p) => `<th>p${p} µs</th>`).join('')}<th>max µs</th></tr>${series
      .map((s) => {
        const h = Histogram.fromJSON(s.histogram);
        // Exact percentiles where the input has them, so the page says what the text says.
        const exact = s.latency && PCT_KEYS.every((k) => typeof s.latency!.percentilesUs?.[k] === 'number') ? s.latency : null;
        const at = (p: number, i: number) => (exact ? exact.percentilesUs[PCT_KEYS[i]!] : h.percentile(p) / 1000);
        return `<tr><td>${e(s.name)}</td><td class="num">${h.count}</td>${pct.map((p, i) => `<td class="num">${e(fmtUs(at(p, i)))}</td>`).join('')}<td class="num">${e(fmtUs(s.histogram.maxNs / 1000))}</td></tr>`;
      })
      .join('')}</table>`,
  );
  if (m.probe) out.push(...cpuTable(m, m.run ? "CPU during the bundle's probe (its reads, not the tune run's)" : 'CPU during the reads'));
  out.push('<h3>Cumulative distribution</h3>', cdfSvg(series));
  out.push('<h3>Histograms</h3>');
  const range = sharedRange(series);
  for (const [i, s] of series.entries()) out.push(histogramSvg(s, i, range));
  return out;
}

/** What the probe's reads cost in CPU, and each vCPU's busy, polling and steal shares during them. */
function cpuTable(m: ReportModel, heading: string): string[] {
  const c = m.probe?.result?.cpu;
  const sentence = m.probe ? cpuSentence(m.probe) : null;
  if (!c || !sentence) return [];
  const tick = tickShare(c);
  return [
    `<h3 id="cpu">${e(heading)}</h3>`,
    `<p>${e(sentence)}.</p>`,
    `<table class="vcpus"><tr><th>vCPU</th><th>busy</th><th>polling</th><th>steal</th></tr>${c.vcpus
      .map(
        (v) =>
          `<tr><td>${e(v.cpu)}</td><td class="num">${e(fmtShare(v.busy))}</td><td class="num">${v.poll === null ? '-' : e(fmtShare(v.poll))}</td><td class="num">${e(fmtShare(v.steal))}</td></tr>`,
      )
      .join('')}</table>`,
    `<p class="muted">Busy and steal from /proc/stat ticks over ${e(c.seconds.toFixed(2))} s${tick === null ? '' : ` (one tick = ${e(fmtShare(tick))} of a vCPU)`}; polling is time in the cpuidle POLL state${c.pollVcpus === null ? ' (none on this machine)' : ''}, idle to /proc/stat but busy to the host.</p>`,
  ];
}

/** Where the microseconds go: each phase on the kernel's clock, as CDFs (probe: all phases; run: before/after per phase). */
function phasesSection(m: ReportModel): string[] {
  const charts = phaseCharts(m);
  if (charts.length === 0) return [];
  const out = ['<h2 id="phases">Where the time goes (kernel clock)</h2>'];
  out.push(
    m.run
      ? "<p>Each read split on the kernel's clock (ftrace) into submit (syscall entry → request issued), device and host (issued → completed) and completion → return, from one traced measurement of the original settings and one of the final ones, back to back at the end of the run. The phases lie inside the syscall's window by design: the syscall's entry and exit are in none of them.</p>"
      : "<p>Each read split on the kernel's clock (ftrace) into submit (syscall entry → request issued), device and host (issued → completed) and completion → return; from the slices of the run with every event on. The phases lie inside the syscall's window by design: the boundary the headline adds (entry and exit) is in none of them.</p>",
  );
  const pct = [50, 90, 99];
  const rowsHtml = charts
    .flatMap((c) => c.series.map((s) => ({ label: c.phase === 'all' ? s.name : `${c.title}: ${s.name}`, h: Histogram.fromJSON(s.histogram) })))
    .map(({ label, h }) => `<tr><td>${e(label)}</td><td class="num">${h.count}</td>${pct.map((p) => `<td class="num">${e(fmtUs(h.percentile(p) / 1000))}</td>`).join('')}</tr>`)
    .join('');
  const split = summarySplit(m);
  if (split) out.push(`<p class="split">${e(split)}</p>`);
  out.push(`<table class="phases"><tr><th>phase</th><th>reads</th>${pct.map((p) => `<th>p${p} µs</th>`).join('')}</tr>${rowsHtml}</table>`);
  for (const c of charts) out.push(`<figure class="phase-chart" data-phase="${e(c.phase)}"><figcaption>${e(c.title)}</figcaption>`, cdfSvg(c.series), '</figure>');
  return out;
}

function changesSection(m: ReportModel): string[] {
  const r = m.run?.result;
  if (!r) return [];
  const out = ['<h2 id="changes">Changes</h2>'];
  out.push(
    `<table class="changes"><tr><th>change</th><th>from</th><th>to</th><th>p50 after/before</th><th>interval</th><th>blocks</th><th>decision</th><th>why</th></tr>${r.changes
      .map(
        (c) =>
          `<tr><td><code>${e(c.target)}</code></td><td>${e(c.from.join(','))}</td><td>${e(c.to ?? '-')}</td><td class="num">${c.medianRatio === null ? '-' : c.medianRatio.toFixed(3)}</td><td class="num">${c.evidence?.blocks ? e(intervalText(c.evidence.interval)) : '-'}</td><td class="num">${c.evidence?.blocks ?? '-'}</td><td class="${e(c.decision)}">${e(c.decision)}</td><td>${e(c.reason)}</td></tr>`,
      )
      .join('')}</table>`,
  );
  // The same sentences as the terminal: the noise floor, the rule, and the result (final against original, interleaved).
  for (const line of [noiseLine(r), ruleLine(r), r.kept.length ? finalLine(r) : 'No change kept: the settings are as they were, and the differences below are run-to-run noise.']) {
    if (line) out.push(`<p>${e(line)}</p>`);
  }
  const b = r.before;
  const a = r.after;
  const d = (x: number, y: number) => `${y <= x ? '' : '+'}${(((y - x) / x) * 100).toFixed(1)} %`;
  out.push(
    `<table class="figures"><tr><th></th><th>before</th><th>after</th><th>change</th></tr>${[
      ['p50 µs', b.p50Us, a.p50Us],
      ['p99 µs', b.p99Us, a.p99Us],
      ['p99.9 µs', b.p999Us, a.p999Us],
    ]
      .map(([k, x, y]) => `<tr><th>${k}</th><td class="num">${fmtUs(x as number)}</td><td class="num">${fmtUs(y as number)}</td><td class="num">${d(x as number, y as number)}</td></tr>`)
      .join('')}<tr><th>IOPS</th><td class="num">${b.iops}</td><td class="num">${a.iops}</td><td class="num">${d(b.iops, a.iops)}</td></tr></table>`,
  );
  out.push(...tuneCostSection(r.changes));
  if (r.partial) out.push(`<p>Stopped early (${e(r.stopReason)}): the changes not evaluated were left as they were.</p>`);
  const plan = m.run!.plan;
  if (plan.rebootOnly.length)
    out.push(
      `<p>Recommended, but only effective after a reboot (not measured):</p><ul>${plan.rebootOnly.map((x) => `<li><code>${e(x.action.target)} = ${e(x.action.value)}</code> (${e(x.findingId)})</li>`).join('')}</ul>`,
    );
  if (plan.skipped.length) out.push(`<p>Not tried:</p><ul>${plan.skipped.map((k) => `<li><code>${e(k.action.target)}</code>: ${e(k.reason)}</li>`).join('')}</ul>`);
  return out;
}

function collectorsSection(m: ReportModel): string[] {
  if (!m.manifest) return [];
  return [
    '<h2 id="bundle">Bundle contents</h2>',
    `<table><tr><th>collector</th><th>status</th><th>files</th><th>bytes</th><th>ms</th><th>notes</th></tr>${m.manifest.collectors
      .map(
        (c) =>
          `<tr><td>${e(c.name)}</td><td>${e(c.status)}</td><td class="num">${c.files}</td><td class="num">${c.bytes}</td><td class="num">${c.ms}</td><td>${e([c.reason, c.truncated.length ? `truncated: ${c.truncated.join(', ')}` : null].filter(Boolean).join('; '))}</td></tr>`,
      )
      .join('')}</table>`,
  ];
}

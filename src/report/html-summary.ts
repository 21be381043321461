import type { KernelClockReport } from '../contracts/probe-kernel-clock.js';
import type { Finding } from '../contracts/rule-types.js';
import { probeHeadline } from '../measure/headline.js';
import { groupOf } from './findings-text.js';
import { fmtUs } from './format.js';
import { guestSplit, guestSplitSentence, placementAdvice } from './kernel-clock-text.js';
import { escapeHtml as e } from './html-escape.js';
import { cpuSentence, stealAdvice } from './cpu-cost-text.js';
import type { ReportModel } from './report-model.js';

/**
 * The box at the top of every HTML report: the answer before the evidence. The figure to quote,
 * where its time goes (and so what tuning inside the guest can gain at most), what a tune run
 * kept, what needs a reboot, and what to ask the host admin for; each links to its section.
 */
export function summarySection(m: ReportModel): string[] {
  const items: string[] = [];
  const headline = headlineItem(m);
  if (headline) items.push(headline);
  const split = summarySplit(m);
  if (split) items.push(`<li><strong>Where the time goes</strong> (<a href="#phases">phases</a>): ${e(split)}</li>`);
  const placement = summaryPlacement(m);
  if (placement) items.push(`<li><strong>Placement</strong>: ${e(placement)}</li>`);
  // The price beside the figure: a probe's (in a bundle beside a tune run, the bundle's probe).
  const cpu = m.probe ? cpuSentence(m.probe) : null;
  if (cpu) items.push(`<li><strong>CPU${m.run ? " (the bundle's probe)" : ''}</strong> (<a href="#cpu">per vCPU</a>): ${e(cpu)}</li>`);
  const advice = m.probe ? stealAdvice(m.probe.result?.cpu) : null;
  if (advice) items.push(`<li><strong>Steal</strong>: ${e(advice)}</li>`);
  const r = m.run?.result;
  if (r) {
    const kept = r.changes.filter((c) => c.decision === 'kept');
    items.push(
      kept.length
        ? `<li><strong>Kept</strong> (<a href="#changes">changes</a>): ${kept.map((c) => `<code>${e(c.target)} = ${e(c.to ?? '-')}</code>`).join(', ')}${r.final ? `: p50 ${e(pctChange(r.final.ratio))} against the original settings` : ''}</li>`
        : '<li><strong>Nothing kept</strong> (<a href="#changes">changes</a>): no change measurably helped; the settings are as they were.</li>',
    );
  }
  const findings = m.findings ?? [];
  const reboot = m.run ? m.run.plan.rebootOnly.map((x) => ({ id: x.findingId, text: `${x.action.target} = ${x.action.value}` })) : rebootFindings(findings);
  if (reboot.length) items.push(`<li><strong>Needs a reboot</strong>: ${reboot.map((x) => `<a href="#finding-${e(x.id)}"><code>${e(x.text)}</code></a>`).join(', ')}</li>`);
  const apply = findings.filter((f) => groupOf(f) === 'recommend' && !f.reboot);
  if (apply.length) items.push(`<li><strong>Apply in the guest</strong>: ${links(apply)}</li>`);
  const host = findings.filter((f) => f.status === 'advise');
  if (host.length) items.push(`<li><strong>Ask the host admin</strong>: ${links(host)}</li>`);
  if (items.length === 0) return [];
  return ['<section class="summary" id="summary">', '<h2>Summary</h2>', `<ul>${items.join('')}</ul>`, '</section>'];
}

function headlineItem(m: ReportModel): string | null {
  if (m.probe?.result) {
    const h = probeHeadline(m.probe);
    const p = h.latency?.percentilesUs;
    if (!p) return null;
    return `<li><strong>Read latency</strong> (<a href="#latency">latency</a>): p50 <strong>${e(fmtUs(p.p50))} µs</strong>, p99 ${e(fmtUs(p.p99))} µs, p99.9 ${e(fmtUs(p['p99.9']))} µs: ${e(h.label)}, QD1 4 KiB random reads of <code>${e(m.probe.target.path)}</code></li>`;
  }
  const r = m.run?.result;
  if (r) {
    return `<li><strong>Read latency</strong> (<a href="#latency">latency</a>): p50 <strong>${e(fmtUs(r.after.p50Us))} µs</strong> after tuning, ${e(fmtUs(r.before.p50Us))} µs before; p99 ${e(fmtUs(r.after.p99Us))} µs after, ${e(fmtUs(r.before.p99Us))} µs before (QD1 4 KiB random reads of <code>${e(m.run!.target?.path ?? '?')}</code>)</li>`;
  }
  return null;
}

/** The same sentence as the terminal's: how much of a read the guest's side is, so what tuning here can gain at most. */
export function summarySplit(m: ReportModel): string | null {
  const k = summaryKernelClock(m);
  if (!k?.available || !k.phases) return null;
  const s = guestSplit(k.phases);
  return s.guestUs + s.deviceUs > 0 ? guestSplitSentence(k.phases) : null;
}

/** The terminal's first-screen placement line: where the readers waited, when it cost them. */
function summaryPlacement(m: ReportModel): string | null {
  const k = summaryKernelClock(m);
  return k?.available ? placementAdvice(k.placement) : null;
}

/** The kernel clock the summary speaks of: the probe's, or a tune run's measurement after its changes. */
function summaryKernelClock(m: ReportModel): KernelClockReport | null {
  return m.probe?.kernelClock ?? m.run?.result?.kernelClock?.after ?? null;
}

function rebootFindings(findings: Finding[]): Array<{ id: string; text: string }> {
  return findings.filter((f) => f.status === 'recommend' && f.reboot).flatMap((f) => f.actions.filter((a) => a.reboot).map((a) => ({ id: f.id, text: `${a.target} = ${a.value}` })));
}

function links(list: Finding[]): string {
  return list.map((f) => `<a href="#finding-${e(f.id)}">${e(f.title)}</a>`).join('; ');
}

function pctChange(ratio: number): string {
  const pct = (1 - ratio) * 100;
  return pct >= 0 ? `${pct.toFixed(1)} % lower` : `${(-pct).toFixed(1)} % higher`;
}

import { renderDetectSummary } from './detect-summary.js';
import { renderFindingsText } from './findings-text.js';
import { renderProbeText } from './probe-report.js';
import { latencySeries, type ReportModel } from './report-model.js';
import { renderHistogram } from './terminal-histogram.js';
import { renderTuneText } from './tune-text.js';
import { cpuSentence, stealAdvice } from './cpu-cost-text.js';

/** The terminal view of a report: the same sections as the HTML page, as tables and histograms. */
export function renderReportText(m: ReportModel): string {
  const parts: string[] = [];
  if (m.manifest)
    parts.push(
      `nvprobe bundle ${m.source}: host ${m.manifest.hostToken}, collected ${m.manifest.createdAt}, nvprobe ${m.manifest.nvprobeVersion}${m.manifest.redacted ? ', identifiers redacted' : ''}\n`,
    );
  if (m.snapshot) parts.push(renderDetectSummary(m.snapshot));
  if (m.findings) parts.push(renderFindingsText(m.findings, { showAll: false, verbose: false }));
  if (m.run) {
    parts.push(renderTuneText(m.run));
    // A bundle's own probe beside the run: its price and steal, which the run's text does not show.
    const cpu = m.probe ? cpuSentence(m.probe) : null;
    const advice = stealAdvice(m.probe?.result?.cpu);
    if (cpu) parts.push(`the bundle's probe: CPU ${cpu}\n${advice ? `  host advice: ${advice}\n` : ''}`);
  } else if (m.probe) parts.push(renderProbeText(m.probe, { histogram: false, verbose: true })); // a support engineer reading a bundle wants the workings
  for (const s of latencySeries(m)) parts.push(`latency histogram: ${s.name}\n${renderHistogram(s.histogram)}\n`);
  return parts.join('\n');
}

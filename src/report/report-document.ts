import { REPORT_SCHEMA_VERSION, type ReportDocument } from '../contracts/report-document.js';
import { summarySplit } from './html-summary.js';
import { cpuSentence, stealAdvice } from './cpu-cost-text.js';
import { reportHeadline, type ReportModel } from './report-model.js';

/** The report as one JSON document: what was read, and the summary every rendering leads with. */
export function reportDocument(m: ReportModel): ReportDocument {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    kind: 'nvprobe.report',
    source: m.source,
    sourceKind: m.sourceKind,
    summary: {
      headline: headlineOf(m),
      split: summarySplit(m),
      cpu: m.probe ? cpuSentence(m.probe) : null,
      stealAdvice: m.probe ? stealAdvice(m.probe.result?.cpu) : null,
    },
    manifest: m.manifest,
    snapshot: m.snapshot,
    findings: m.findings,
    run: m.run,
    probe: m.probe,
  };
}

function headlineOf(m: ReportModel): ReportDocument['summary']['headline'] {
  const h = reportHeadline(m);
  return h ? { series: h.series, p50Us: h.p50Us, p99Us: h.p99Us } : null;
}

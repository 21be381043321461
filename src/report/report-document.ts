import { REPORT_SCHEMA_VERSION, type ReportDocument } from '../contracts/report-document.js';
import { probeHeadline } from '../measure/headline.js';
import { summarySplit } from './html-summary.js';
import type { ReportModel } from './report-model.js';

/** The report as one JSON document: what was read, and the summary every rendering leads with. */
export function reportDocument(m: ReportModel): ReportDocument {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    kind: 'nvprobe.report',
    source: m.source,
    sourceKind: m.sourceKind,
    summary: { headline: headlineOf(m), split: summarySplit(m) },
    manifest: m.manifest,
    snapshot: m.snapshot,
    findings: m.findings,
    run: m.run,
    probe: m.probe,
  };
}

function headlineOf(m: ReportModel): ReportDocument['summary']['headline'] {
  if (m.probe?.result) {
    const h = probeHeadline(m.probe);
    const p = h.latency?.percentilesUs;
    return p ? { series: h.name, p50Us: p.p50, p99Us: p.p99 } : null;
  }
  const r = m.run?.result;
  return r ? { series: 'tune: final settings (process clock, calibrated)', p50Us: r.after.p50Us, p99Us: r.after.p99Us } : null;
}

import { COMPARE_SCHEMA_VERSION, type CompareDocument } from '../contracts/compare-document.js';
import { usageError } from '../errors.js';
import { histogramJsonProblem } from '../stats/histogram.js';
import { compareConfiguration } from './compare-config.js';
import { compareFindings } from './compare-findings.js';
import { compareIdentity, compareSide } from './compare-identity.js';
import { type CompareChart, compareCharts, compareLatency, sideFigureProblem } from './compare-latency.js';
import { citations, compareVerdict } from './compare-verdict.js';
import type { ReportModel } from './report-model.js';

/** `report A B`: the comparison as a document (`--json`, text), and the charts the HTML page overlays. */
export interface CompareModel {
  doc: CompareDocument;
  charts: CompareChart[];
}

export function buildCompareModel(a: ReportModel, b: ReportModel): CompareModel {
  const configuration = compareConfiguration(a, b);
  const latency = compareLatency(a, b);
  // The figures the table and the sentence compute with: out of range is bad input, as a histogram is.
  for (const [l, m] of [
    [latency.A, a],
    [latency.B, b],
  ] as const) {
    const problem = l && sideFigureProblem(l);
    if (problem) throw usageError(`${m.source}: ${problem}`, 'give bundles or documents written by nvprobe');
  }
  const charts = compareCharts(a, b);
  // Drawn on the page: a histogram out of range (an endless axis) is bad input, as in a single report.
  for (const c of charts)
    for (const s of c.series) {
      const problem = histogramJsonProblem(s.histogram);
      if (problem) throw usageError(`${(s.name === 'A' ? a : b).source}: the ${c.title} ${problem}`, 'give bundles or documents written by nvprobe');
    }
  return {
    doc: {
      schemaVersion: COMPARE_SCHEMA_VERSION,
      kind: 'nvprobe.report-compare',
      sides: { A: compareSide(a), B: compareSide(b) },
      identity: compareIdentity(a, b),
      configuration,
      findings: compareFindings(a, b),
      latency,
      verdict: compareVerdict(latency, citations(configuration.differences)),
    },
    charts,
  };
}

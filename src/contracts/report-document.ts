import type { Snapshot } from './detect-document.js';
import type { BundleManifest } from './collect-document.js';
import type { ProbeReport } from './probe-document.js';
import type { Finding } from './rule-types.js';
import type { TuneReport } from './tune-document.js';

export const REPORT_SCHEMA_VERSION = 1;

/**
 * `report INPUT --json`: what the report read from a bundle, saved run or probe document, as one
 * document (any part may be null: a run alone has no snapshot), with the summary the HTML page
 * leads with.
 */
export interface ReportDocument {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  kind: 'nvprobe.report';
  source: string;
  sourceKind: 'bundle' | 'run' | 'probe';
  summary: {
    /** The figure to quote: p50/p99 µs of the headline series (a probe's, or a run's final settings). */
    headline: { series: string; p50Us: number; p99Us: number } | null;
    /** "guest-side X µs vs device and host Y µs (p50): tuning inside this guest can remove at most ~N % of a read". */
    split: string | null;
    /** A probe's CPU line: nvprobe's CPU per read, the vCPUs' busy and polling shares, steal (the figures: probe.result.cpu). Absent in older documents. */
    cpu?: string | null;
    /** The host advice line when a vCPU's steal during the probe's reads reached the vcpu-steal rule's threshold; else null. */
    stealAdvice?: string | null;
  };
  manifest: BundleManifest | null;
  snapshot: Snapshot | null;
  findings: Finding[] | null;
  run: TuneReport | null;
  probe: ProbeReport | null;
}

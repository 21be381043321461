import { bundleJson, bundleManifest, BUNDLE_PATHS } from '../bundle/format.js';
import { CHECK_SCHEMA_VERSION } from '../contracts/check-document.js';
import type { BundleManifest } from '../contracts/collect-document.js';
import { SNAPSHOT_SCHEMA_VERSION, type Snapshot } from '../contracts/detect-document.js';
import { PROBE_SCHEMA_VERSION, type ProbeReport } from '../contracts/probe-document.js';
import { TUNE_SCHEMA_VERSION, type TuneReport } from '../contracts/tune-document.js';
import { usageError } from '../errors.js';
import type { ReportSource } from '../host/report-input.js';
import { histogramJsonProblem } from '../stats/histogram.js';
import type { Finding } from '../contracts/rule-types.js';
import { probeHeadline } from '../measure/headline.js';
import type { LatencySummary, HistogramJson } from '../contracts/latency-stats.js';
import type { KernelClockReport } from '../contracts/probe-kernel-clock.js';

/** Everything a report shows; any part may be missing (a run alone has no Snapshot). */
export interface ReportModel {
  source: string;
  sourceKind: 'bundle' | 'run' | 'probe';
  manifest: BundleManifest | null;
  snapshot: Snapshot | null;
  findings: Finding[] | null;
  run: TuneReport | null;
  probe: ProbeReport | null;
}

export interface LatencySeries {
  name: string;
  histogram: HistogramJson;
  /** Exact percentiles where the input has them (a probe's headline): tables show these, not the histogram's approximation. */
  latency?: LatencySummary;
}

export function buildReportModel(src: ReportSource): ReportModel {
  const model = readModel(src);
  // Drawn on every page: a histogram out of range (1e308 samples, an endless axis) is bad input.
  for (const s of [...latencySeries(model), ...phaseCharts(model).flatMap((c) => c.series)]) {
    const problem = histogramJsonProblem(s.histogram);
    if (problem) throw usageError(`${src.file}: the ${s.name} ${problem}`, 'give a bundle or run written by nvprobe');
  }
  return model;
}

function readModel(src: ReportSource): ReportModel {
  if (src.kind === 'json') {
    const doc = src.doc as { kind?: unknown; schemaVersion?: unknown } | null;
    const kind = doc?.kind;
    if (kind === 'nvprobe.tune') {
      const run = checkVersion(src.file, doc, TUNE_SCHEMA_VERSION) as unknown as TuneReport;
      if (!run.result) throw usageError(`${src.file} is a tune document without measurements (a dry run, or nothing to tune)`, 'give a saved run from <state>/runs/');
      return { source: src.file, sourceKind: 'run', manifest: null, snapshot: null, findings: null, run, probe: null };
    }
    if (kind === 'nvprobe.probe') {
      return { source: src.file, sourceKind: 'probe', manifest: null, snapshot: null, findings: null, run: null, probe: checkVersion(src.file, doc, PROBE_SCHEMA_VERSION) as unknown as ProbeReport };
    }
    throw usageError(`${src.file} is JSON but not an nvprobe tune run or probe (kind ${JSON.stringify(kind ?? null)})`, 'give a saved run from <state>/runs/, a `probe --json` document or a bundle');
  }
  const manifest = bundleManifest(src.file, src.entries);
  const snapshot = bundleJson<Snapshot>(src.entries, BUNDLE_PATHS.detect, src.file);
  if (snapshot) checkVersion(`${src.file}: ${BUNDLE_PATHS.detect}`, snapshot, SNAPSHOT_SCHEMA_VERSION);
  const check = bundleJson<{ schemaVersion: number; findings: Finding[] }>(src.entries, BUNDLE_PATHS.check, src.file);
  if (check) checkVersion(`${src.file}: ${BUNDLE_PATHS.check}`, check, CHECK_SCHEMA_VERSION);
  const probe = bundleJson<ProbeReport>(src.entries, BUNDLE_PATHS.probe, src.file);
  if (probe) checkVersion(`${src.file}: ${BUNDLE_PATHS.probe}`, probe, PROBE_SCHEMA_VERSION);
  // The newest run with measurements (run ids sort by time).
  const runs = src.entries
    .filter((e) => e.kind === 'file' && e.name.startsWith(`${BUNDLE_PATHS.state}/runs/`) && e.name.endsWith('.json'))
    .map((e) => bundleJson<TuneReport>(src.entries, e.name, src.file))
    .filter((r): r is TuneReport => r !== null && r.kind === 'nvprobe.tune' && r.schemaVersion <= TUNE_SCHEMA_VERSION && r.result !== null);
  return { source: src.file, sourceKind: 'bundle', manifest, snapshot, findings: check?.findings ?? null, run: runs.at(-1) ?? null, probe };
}

function checkVersion(what: string, doc: unknown, supported: number): Record<string, unknown> {
  const v = (doc as { schemaVersion?: unknown }).schemaVersion;
  if (typeof v !== 'number') throw usageError(`${what} has no schemaVersion`, 'give a document written by nvprobe');
  if (v > supported) throw usageError(`${what} has schema version ${v}, newer than this nvprobe reads (${supported})`, 'use the nvprobe version that wrote it, or a newer one');
  return doc as Record<string, unknown>;
}

/** The latency distributions to draw: a run's before/after, else the probe's headline series. */
export function latencySeries(m: ReportModel): LatencySeries[] {
  if (m.run?.result)
    return [
      { name: 'before', histogram: m.run.result.histograms?.before },
      { name: 'after', histogram: m.run.result.histograms?.after },
    ];
  if (m.probe) {
    const h = probeHeadline(m.probe);
    return [{ name: h.label, histogram: h.histogram, latency: h.latency }];
  }
  return [];
}

/** What a report leads with (summary, --json, comparisons): a probe's headline series, else a tune run's final settings. */
export interface ReportHeadline {
  /** The probe's headline name (measure/headline.ts), or RUN_HEADLINE. */
  series: string;
  label: string;
  p50Us: number;
  p99Us: number;
  histogram: HistogramJson;
  /** The kernel clock of the same reads (a run: its final settings' traced measurement), where there is one. */
  kernelClock: KernelClockReport | null;
}

export const RUN_HEADLINE = 'tune: final settings (process clock, calibrated)';

export function reportHeadline(m: ReportModel): ReportHeadline | null {
  if (m.probe?.result) {
    const h = probeHeadline(m.probe);
    const p = h.latency?.percentilesUs;
    return p ? { series: h.name, label: h.label, p50Us: p.p50, p99Us: p.p99, histogram: h.histogram, kernelClock: m.probe.kernelClock ?? null } : null;
  }
  const r = m.run?.result;
  return r ? { series: RUN_HEADLINE, label: RUN_HEADLINE, p50Us: r.after.p50Us, p99Us: r.after.p99Us, histogram: r.histograms?.after, kernelClock: r.kernelClock?.after ?? null } : null;
}

/** One per-phase chart: a phase's before/after (tune run), or every phase of one probe. */
export interface PhaseChart {
  /** 'all' for a probe's chart of its three phases; else the phase drawn before and after. */
  phase: 'all' | 'submit' | 'device' | 'completion';
  title: string;
  series: LatencySeries[];
}

const PHASE_TITLES = { submit: 'submit (syscall → issue)', device: 'device and host (issue → complete)', completion: 'completion → return' } as const;
const PHASE_KEYS = ['submit', 'device', 'completion'] as const;

/** Per-phase latency on the kernel clock, where the input has it (probe or tune run with tracing on). */
export function phaseCharts(m: ReportModel): PhaseChart[] {
  const kc = m.run?.result?.kernelClock;
  if (kc) {
    const b = kc.before;
    const a = kc.after;
    if (!b?.available || !a?.available || !b.phases || !a.phases) return [];
    return PHASE_KEYS.map((k) => ({
      phase: k,
      title: PHASE_TITLES[k],
      series: [
        { name: 'before', histogram: b.phases![k]?.histogram },
        { name: 'after', histogram: a.phases![k]?.histogram },
      ],
    }));
  }
  const k = m.run ? undefined : m.probe?.kernelClock;
  if (!k?.available || !k.phases) return [];
  return [{ phase: 'all', title: 'phases of each read', series: PHASE_KEYS.map((key) => ({ name: PHASE_TITLES[key], histogram: k.phases![key]?.histogram })) }];
}

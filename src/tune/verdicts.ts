import { median } from 'simple-statistics';
import { TUNE_SCHEMA_VERSION, type TuneReport } from '../contracts/tune-document.js';
import type { ResolvedAction } from '../contracts/actions.js';
import type { Finding, MeasuredVerdict } from '../contracts/rule-types.js';
import type { CheckSummary } from '../contracts/check-document.js';
import type { ChangeResult } from '../contracts/tune-session.js';

/**
 * What tune measured, per change target, newest run last: the memory that keeps `check` from
 * recommending again what tune has just measured as no better on this machine.
 */
export type VerdictIndex = Map<string, { verdict: MeasuredVerdict; to: string | number | null }>;

/** Saved runs (parsed JSON, any order) → the latest kept/reverted verdict per target. Skipped changes measured nothing. */
export function latestVerdicts(docs: unknown[]): VerdictIndex {
  const runs = docs.filter(isMeasuredRun).sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : String(a.run) < String(b.run) ? -1 : 1));
  const index: VerdictIndex = new Map();
  for (const run of runs) {
    for (const c of run.result!.changes) {
      if (c.decision !== 'kept' && c.decision !== 'reverted') continue;
      index.set(c.target, { verdict: toVerdict(run, c), to: c.to });
    }
  }
  return index;
}

function isMeasuredRun(d: unknown): d is TuneReport {
  const r = d as Partial<TuneReport> | null;
  return (
    !!r &&
    r.kind === 'nvprobe.tune' &&
    typeof r.schemaVersion === 'number' &&
    r.schemaVersion <= TUNE_SCHEMA_VERSION &&
    typeof r.run === 'string' &&
    typeof r.createdAt === 'string' &&
    !!r.result &&
    Array.isArray(r.result.changes)
  );
}

function toVerdict(run: TuneReport, c: ChangeResult): MeasuredVerdict {
  const { before, after } = p50s(c);
  return {
    runId: run.run!,
    at: run.createdAt,
    target: c.target,
    from: c.from,
    to: c.to,
    decision: c.decision as MeasuredVerdict['decision'],
    reason: c.reason,
    p50BeforeUs: before,
    p50AfterUs: after,
  };
}

/** Median p50 without (A) and with (B) the change over its blocks (older runs: A/B pairs); a grid without either: the original value vs the best other. */
function p50s(c: ChangeResult): { before: number | null; after: number | null } {
  if (c.blocks?.length) return { before: median(c.blocks.flatMap((b) => b.a.map((r) => r.p50Us))), after: median(c.blocks.flatMap((b) => b.b.map((r) => r.p50Us))) };
  if (c.pairs?.length) return { before: median(c.pairs.map((p) => p.a.p50Us)), after: median(c.pairs.map((p) => p.b.p50Us)) };
  if (c.grid?.length) {
    const isFrom = (v: string | number) => c.from.length > 0 && c.from.every((f) => f !== null && String(f) === String(v));
    const original = c.grid.find((g) => isFrom(g.value));
    const others = c.grid.filter((g) => !isFrom(g.value));
    const best = others.length ? others.reduce((a, b) => (b.medianP50Us < a.medianP50Us ? b : a)) : null;
    return { before: original?.medianP50Us ?? null, after: best?.medianP50Us ?? null };
  }
  return { before: null, after: null };
}

/**
 * The verdict for one recommended action: same target, and (unless tune searched a grid for it)
 * the same value, so that a verdict on another value is not taken for this one.
 */
function verdictFor(index: VerdictIndex, a: ResolvedAction): MeasuredVerdict | null {
  const v = index.get(a.target);
  if (!v) return null;
  if (!a.grid && v.to !== null && String(v.to) !== String(a.value)) return null;
  return v.verdict;
}

/**
 * Each finding with a measured action gets `measured`: the newest verdict among its actions.
 * Only findings that recommend a change can have one.
 */
export function attachVerdicts(findings: Finding[], index: VerdictIndex): Finding[] {
  if (!index.size) return findings;
  return findings.map((f) => {
    if (f.status !== 'recommend') return f;
    const verdicts = f.actions.map((a) => verdictFor(index, a)).filter((v): v is MeasuredVerdict => v !== null);
    if (!verdicts.length) return f;
    const newest = verdicts.reduce((a, b) => (b.at > a.at ? b : a));
    return { ...f, measured: newest };
  });
}

/**
 * Recommended, but tune measured its change here and put it back (slower, or no gain): not "to
 * apply". A finding with changes to several targets stays to apply (one verdict does not cover the others).
 */
export function measuredNoGain(f: Finding): boolean {
  const m = f.measured;
  return f.status === 'recommend' && m?.decision === 'reverted' && f.actions.length > 0 && f.actions.every((a) => a.target === m.target);
}

export function countByStatus(findings: Finding[]): CheckSummary {
  const c: CheckSummary = { recommend: 0, advise: 0, info: 0, ok: 0, 'n/a': 0, measuredNoGain: 0 };
  for (const f of findings) {
    if (measuredNoGain(f)) c.measuredNoGain++;
    else c[f.status]++;
  }
  return c;
}

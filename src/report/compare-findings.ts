import type { FindingDifference } from '../contracts/compare-document.js';
import type { Finding, FindingStatus, Severity } from '../contracts/rule-types.js';
import { inputWords } from './compare-config.js';
import type { ReportModel } from './report-model.js';

/** A finding that says something: a recommendation, host advice or a note (ok and n/a say nothing is wrong). */
const FIRES: ReadonlySet<FindingStatus> = new Set(['recommend', 'advise', 'info']);
const SEVERITY_ORDER: Record<Severity, number> = { high: 0, medium: 1, low: 2, info: 3 };

/**
 * Findings (check.json of each bundle) whose status differs, by finding id, where at least one side
 * fires: "A ok, B recommend" or a finding only one side has. Most severe first.
 */
export function compareFindings(a: ReportModel, b: ReportModel): { differences: FindingDifference[]; unknown: string | null } {
  const missing = (['A', 'B'] as const).filter((s) => (s === 'A' ? a : b).findings === null);
  if (missing.length > 0) {
    const why = missing.map((s) => `${s} is ${inputWords(s === 'A' ? a : b, 'check.json')}`).join(' and ');
    return { differences: [], unknown: `findings not compared: ${why} (a bundle holds check.json)` };
  }
  const byId = (list: Finding[]) => new Map(list.map((f) => [f.id, f]));
  const fa = byId(a.findings!);
  const fb = byId(b.findings!);
  const differences: FindingDifference[] = [];
  for (const id of new Set([...fa.keys(), ...fb.keys()])) {
    const x = fa.get(id);
    const y = fb.get(id);
    if (x?.status === y?.status) continue;
    if (!(x && FIRES.has(x.status)) && !(y && FIRES.has(y.status))) continue;
    // The firing side's title names the problem (a passing finding's title says what is fine).
    const shown = y && FIRES.has(y.status) ? y : x!;
    differences.push({ id, title: shown.title, severity: shown.severity, a: x?.status ?? null, b: y?.status ?? null });
  }
  differences.sort((p, q) => (SEVERITY_ORDER[p.severity] ?? 4) - (SEVERITY_ORDER[q.severity] ?? 4) || p.id.localeCompare(q.id));
  return { differences, unknown: null };
}

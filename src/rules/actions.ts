import { interpolate, placeholders } from './field-path.js';
import type { ConditionProblem, FieldCheck } from './condition.js';
import type { ActionSpec, ResolvedAction } from '../contracts/actions.js';
import type { RuleScope } from '../contracts/rule-types.js';
import { findKnobKind, knobKind, knobKindNames } from '../knobs/kinds.js';

/**
 * A rule may change only what a registered knob kind allows: a rule naming anything else is
 * refused at load. Rules are data that root runs, so each kind's allowlist check is the safety
 * boundary here (host/ enforces the write allowlist again on every write).
 */
export function parseAction(raw: unknown, at: string, scope: RuleScope, fieldExists: FieldCheck, problems: ConditionProblem[]): ActionSpec | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({ at, message: 'must be a mapping with a kind' });
    return null;
  }
  const a = raw as Record<string, unknown>;
  const kind = typeof a.kind === 'string' ? findKnobKind(a.kind) : undefined;
  if (!kind) {
    problems.push({ at: `${at}.kind`, message: `'${String(a.kind)}' is not an allowed action kind (${knobKindNames().join(', ')})` });
    return null;
  }
  const before = problems.length;
  for (const k of Object.keys(a)) if (!kind.keys.includes(k)) problems.push({ at: `${at}.${k}`, message: `unknown key for a ${kind.name} action` });
  const value = a.value;
  if (typeof value !== 'string' && typeof value !== 'number') problems.push({ at: `${at}.value`, message: 'must be a string or number' });
  if (typeof value === 'string') {
    for (const p of placeholders(value)) if (!fieldExists(p)) problems.push({ at: `${at}.value`, message: `placeholder {${p}} names no Snapshot field` });
  }
  if (a.grid !== undefined && (!Array.isArray(a.grid) || a.grid.length < 2 || !a.grid.every((g) => typeof g === 'number' || typeof g === 'string'))) {
    problems.push({ at: `${at}.grid`, message: 'must be a list of at least two values to try' });
  }
  if (kind.scope === 'disk' && scope !== 'disk') problems.push({ at, message: `a ${kind.name} action needs a rule with scope: disk` });
  problems.push(...kind.check(a, at));
  return problems.length === before ? (a as unknown as ActionSpec) : null;
}

/** Fill in this machine's specifics: which disk, interpolated values, runtime or reboot. */
export function resolveAction(spec: ActionSpec, scope: { disk?: { name: string } }): ResolvedAction {
  const kind = knobKind(spec.kind);
  const value = typeof spec.value === 'string' ? interpolate(spec.value, scope) : spec.value;
  const disk = kind.scope === 'disk' ? scope.disk!.name : undefined;
  // Kinds without a grid key resolve without one (their rules cannot give one).
  const grid = kind.keys.includes('grid') ? { grid: spec.grid } : {};
  return { kind: kind.name, ...kind.resolve(spec, value, disk), value, ...grid, runtime: kind.takesEffect === 'runtime', reboot: kind.takesEffect === 'boot' };
}

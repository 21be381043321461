import { compareKernelVersions } from '../host/kernel-version.js';
import { resolveField } from './field-path.js';
import { COMPARISONS, type Comparison, type Condition, type Evidence, type Operand } from '../contracts/rule-types.js';
import type { KernelVersion } from '../contracts/detect-system.js';

export interface ConditionProblem {
  at: string;
  message: string;
}

/** Checks a field path exists in the Snapshot's shape for the rule's scope. */
export type FieldCheck = (path: string) => boolean;

const LIST_OPS = new Set<Comparison>(['in', 'notIn', 'range']);
const NUMERIC_OPS = new Set<Comparison>(['lt', 'lte', 'gt', 'gte']);
const VERSION_OPS = new Set<Comparison>(['versionAtLeast', 'versionBelow']);

/** Turn a parsed YAML value into a Condition, or collect every problem with where it is. */
export function parseCondition(raw: unknown, at: string, fieldExists: FieldCheck, problems: ConditionProblem[]): Condition | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({ at, message: 'must be a mapping (all/any/not, or field plus one comparison)' });
    return null;
  }
  const obj = raw as Record<string, unknown>;
  const keys = Object.keys(obj);
  for (const combinator of ['all', 'any'] as const) {
    if (combinator in obj) {
      if (keys.length !== 1) problems.push({ at, message: `'${combinator}' stands alone; found also ${keys.filter((k) => k !== combinator).join(', ')}` });
      const list = obj[combinator];
      if (!Array.isArray(list) || list.length === 0) {
        problems.push({ at: `${at}.${combinator}`, message: 'must be a non-empty list of conditions' });
        return null;
      }
      const parts = list.map((c, i) => parseCondition(c, `${at}.${combinator}[${i}]`, fieldExists, problems));
      return parts.every(Boolean) ? ({ [combinator]: parts as Condition[] } as Condition) : null;
    }
  }
  if ('not' in obj) {
    if (keys.length !== 1) problems.push({ at, message: `'not' stands alone; found also ${keys.filter((k) => k !== 'not').join(', ')}` });
    const inner = parseCondition(obj.not, `${at}.not`, fieldExists, problems);
    return inner && { not: inner };
  }
  if (!('field' in obj)) {
    problems.push({ at, message: `unknown condition keys ${keys.join(', ')}: expected all, any, not, or field` });
    return null;
  }
  const field = obj.field;
  if (typeof field !== 'string' || !fieldExists(field)) {
    problems.push({ at: `${at}.field`, message: `no such Snapshot field '${String(field)}'` });
    return null;
  }
  const ops = keys.filter((k) => k !== 'field');
  const unknown = ops.filter((k) => !(COMPARISONS as readonly string[]).includes(k));
  if (unknown.length) {
    problems.push({ at, message: `unknown key${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (comparisons: ${COMPARISONS.join(', ')})` });
    return null;
  }
  if (ops.length !== 1) {
    problems.push({ at, message: `needs exactly one comparison beside 'field', found ${ops.length ? ops.join(', ') : 'none'}` });
    return null;
  }
  const op = ops[0] as Comparison;
  const value = obj[op];
  const operandOk = (v: unknown, where: string): v is Operand => {
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) return true;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).join() === 'field' && typeof (v as { field: unknown }).field === 'string') {
      if (fieldExists((v as { field: string }).field)) return true;
      problems.push({ at: where, message: `no such Snapshot field '${(v as { field: string }).field}'` });
      return false;
    }
    problems.push({ at: where, message: 'must be a string, number, boolean, null or {field: path}' });
    return false;
  };
  if (LIST_OPS.has(op)) {
    if (!Array.isArray(value) || value.length === 0 || (op === 'range' && value.length !== 2)) {
      problems.push({ at: `${at}.${op}`, message: op === 'range' ? 'must be [min, max]' : 'must be a non-empty list' });
      return null;
    }
    return value.every((v, i) => operandOk(v, `${at}.${op}[${i}]`)) ? { field, op, value: value as Operand[] } : null;
  }
  if (op === 'exists' && typeof value !== 'boolean') {
    problems.push({ at: `${at}.exists`, message: 'must be true or false' });
    return null;
  }
  if (NUMERIC_OPS.has(op) && typeof value !== 'number' && !(value && typeof value === 'object')) {
    problems.push({ at: `${at}.${op}`, message: 'must be a number or {field: path}' });
    return null;
  }
  if (VERSION_OPS.has(op) && (typeof value !== 'string' || !/^\d+(\.\d+){0,2}$/.test(value))) {
    problems.push({ at: `${at}.${op}`, message: "must be a version string such as '5.19'" });
    return null;
  }
  return operandOk(value, `${at}.${op}`) ? { field, op, value: value as Operand } : null;
}

/** Evaluate on a scope (the Snapshot, plus `disk` for per-disk rules), recording what was read. */
export function evaluateCondition(c: Condition, scope: unknown, evidence: Evidence[]): boolean {
  if ('all' in c) return c.all.every((x) => evaluateCondition(x, scope, evidence));
  if ('any' in c) return c.any.some((x) => evaluateCondition(x, scope, evidence));
  if ('not' in c) return !evaluateCondition(c.not, scope, evidence);
  const actual = resolveField(scope, c.field);
  record(evidence, c.field, actual);
  const operand = (o: Operand): unknown => {
    if (o !== null && typeof o === 'object') {
      const v = resolveField(scope, o.field);
      record(evidence, o.field, v);
      return v;
    }
    return o;
  };
  return compare(c.op, actual, Array.isArray(c.value) ? c.value.map(operand) : operand(c.value));
}

function record(evidence: Evidence[], field: string, value: unknown): void {
  if (!evidence.some((e) => e.field === field)) evidence.push({ field, value: value ?? null });
}

function compare(op: Comparison, a: unknown, b: unknown): boolean {
  switch (op) {
    case 'exists':
      return (a !== null && a !== undefined) === b;
    case 'equals':
      return same(a, b);
    case 'notEquals':
      return a !== null && !same(a, b);
    case 'in':
      return (b as unknown[]).some((x) => same(a, x));
    case 'notIn':
      return a !== null && !(b as unknown[]).some((x) => same(a, x));
    case 'lt':
      return typeof a === 'number' && typeof b === 'number' && a < b;
    case 'lte':
      return typeof a === 'number' && typeof b === 'number' && a <= b;
    case 'gt':
      return typeof a === 'number' && typeof b === 'number' && a > b;
    case 'gte':
      return typeof a === 'number' && typeof b === 'number' && a >= b;
    case 'range': {
      const [lo, hi] = b as unknown[];
      return typeof a === 'number' && typeof lo === 'number' && typeof hi === 'number' && a >= lo && a <= hi;
    }
    case 'versionAtLeast':
    case 'versionBelow': {
      const v = toVersion(a);
      if (!v) return false;
      const cmp = compareKernelVersions(v, toVersion(b)!);
      return op === 'versionAtLeast' ? cmp >= 0 : cmp < 0;
    }
    case 'contains':
    case 'notContains': {
      if (a === null || a === undefined) return false;
      const has = Array.isArray(a) ? a.some((x) => same(x, b)) : typeof a === 'string' && typeof b === 'string' && a.includes(b);
      return op === 'contains' ? has : !has;
    }
  }
}

function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'string' && b.trim() !== '') return a === Number(b);
  if (typeof a === 'string' && typeof b === 'number') return Number(a) === b;
  return a === b;
}

/** A version from '6.1.0-18-cloud-amd64', '5.19', or a {major, minor, patch} object. */
export function toVersion(v: unknown): KernelVersion | null {
  if (v && typeof v === 'object' && 'major' in v) {
    const o = v as { major: number; minor?: number; patch?: number };
    return { major: o.major, minor: o.minor ?? 0, patch: o.patch ?? 0 };
  }
  if (typeof v !== 'string') return null;
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(v);
  return m ? { major: Number(m[1]), minor: Number(m[2] ?? 0), patch: Number(m[3] ?? 0) } : null;
}

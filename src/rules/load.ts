import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { listFiles, pathExists, readTextFile } from '../host/text-files.js';
import { parseAction } from './actions.js';
import { parseCondition, type ConditionProblem } from './condition.js';
import { placeholders } from './field-path.js';
import { fieldExistsIn } from './fields.js';
import type { ActionSpec } from '../contracts/actions.js';
import type { HostAdvice, Rule, RuleScope, Severity } from '../contracts/rule-types.js';

export interface RuleError {
  file: string;
  rule: string | null;
  at: string | null;
  message: string;
}

export function formatRuleError(e: RuleError): string {
  return `${e.file}${e.rule ? `: rule '${e.rule}'` : ''}${e.at ? `: ${e.at}` : ''}: ${e.message}`;
}

export interface LoadedRules {
  rules: Rule[];
  errors: RuleError[];
  files: string[];
}

const RULE_KEYS = ['id', 'title', 'okTitle', 'about', 'scope', 'severity', 'applies', 'check', 'rationale', 'references', 'actions', 'prerequisite', 'hostAdvice', 'tradeoff', 'status'];
const FILE_KEYS = ['topic', 'description', 'rules'];
const SEVERITIES: Severity[] = ['info', 'low', 'medium', 'high'];
const ID_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Where distribution packages put the shipped rules (the code lives under /usr/lib/nvprobe). */
export const SYSTEM_RULES_DIR = '/usr/share/nvprobe/rules';

/**
 * The shipped rules: `rules/` beside the package (a checkout, `npm i -g`), else the distribution
 * packages' place for architecture-independent data, /usr/share/nvprobe/rules (.deb, .rpm).
 */
export function builtInRulesDir(packageRoot = fileURLToPath(new URL('../../', import.meta.url)), exists: (p: string) => boolean = pathExists): string {
  const beside = join(packageRoot, 'rules');
  return exists(beside) || !exists(SYSTEM_RULES_DIR) ? `${beside}/` : SYSTEM_RULES_DIR;
}

/** The rules shipped with nvprobe, local ones (/etc/nvprobe/rules.d), and --rules DIR. */
export function defaultRuleDirs(extra?: string): string[] {
  const dirs = [builtInRulesDir()];
  if (pathExists('/etc/nvprobe/rules.d')) dirs.push('/etc/nvprobe/rules.d');
  if (extra !== undefined) dirs.push(extra);
  return dirs;
}

/**
 * Load every *.yaml in the given directories (or single files). A file with any problem
 * contributes no rule at all: a half-loaded file would make findings silently wrong.
 */
export function loadRules(paths: string[], known: readonly Rule[] = []): LoadedRules {
  const out: LoadedRules = { rules: [], errors: [], files: [] };
  // Ids already taken by rules loaded elsewhere (validate PATH: the built-in and local ones), so
  // that validate refuses what check would; a file is never a duplicate of itself.
  const seen = new Map<string, string>(known.map((r) => [r.id, r.file]));
  for (const p of paths) {
    const listing = p.endsWith('.yaml') || p.endsWith('.yml') ? { ok: true as const, files: [p] } : listFiles(p, ['.yaml', '.yml']);
    if (!listing.ok) {
      out.errors.push({ file: p, rule: null, at: null, message: listing.reason === 'not-a-directory' ? 'is not a directory of rule files' : `cannot read rules directory (${listing.detail})` });
      continue;
    }
    for (const file of listing.files) {
      out.files.push(file);
      const { rules, errors } = loadRuleFile(file);
      for (const r of rules) {
        const other = seen.get(r.id);
        if (other && resolve(other) !== resolve(file)) errors.push({ file, rule: r.id, at: 'id', message: `duplicate rule id, already defined in ${other}` });
      }
      if (errors.length) {
        out.errors.push(...errors);
        continue;
      }
      for (const r of rules) seen.set(r.id, file);
      out.rules.push(...rules);
    }
  }
  return out;
}

export function loadRuleFile(file: string): { rules: Rule[]; errors: RuleError[] } {
  const read = readTextFile(file);
  if (!read.ok) return { rules: [], errors: [{ file, rule: null, at: null, message: `cannot read (${read.detail})` }] };
  const doc = parseDocument(read.text, { uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0];
    return {
      rules: [],
      errors: [{ file, rule: null, at: line ? `line ${line.line}:${line.col}` : null, message: `malformed YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}` }],
    };
  }
  let data: unknown;
  try {
    // Rule files have no use for deep aliasing: a "billion laughs" file stops here, as bad input.
    data = doc.toJS({ maxAliasCount: 50 }) as unknown;
  } catch (err) {
    return { rules: [], errors: [{ file, rule: null, at: null, message: `refused YAML: ${(err as Error).message.split('\n')[0]} (aliases expand too much)` }] };
  }
  const errors: RuleError[] = [];
  if (!data || typeof data !== 'object' || Array.isArray(data)) return { rules: [], errors: [{ file, rule: null, at: null, message: 'must be a mapping with a `rules:` list' }] };
  const top = data as Record<string, unknown>;
  for (const k of Object.keys(top)) if (!FILE_KEYS.includes(k)) errors.push({ file, rule: null, at: k, message: `unknown key (allowed: ${FILE_KEYS.join(', ')})` });
  if (!Array.isArray(top.rules) || top.rules.length === 0) {
    errors.push({ file, rule: null, at: 'rules', message: 'must be a non-empty list of rules' });
    return { rules: [], errors };
  }
  const rules: Rule[] = [];
  const ids = new Set<string>();
  top.rules.forEach((raw, i) => {
    const rule = parseRule(raw, file, i, errors);
    if (!rule) return;
    if (ids.has(rule.id)) errors.push({ file, rule: rule.id, at: 'id', message: 'duplicate rule id in this file' });
    ids.add(rule.id);
    rules.push(rule);
  });
  return { rules, errors };
}

function parseRule(raw: unknown, file: string, index: number, errors: RuleError[]): Rule | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    errors.push({ file, rule: `#${index + 1}`, at: null, message: 'must be a mapping' });
    return null;
  }
  const r = raw as Record<string, unknown>;
  const id = typeof r.id === 'string' && ID_PATTERN.test(r.id) ? r.id : null;
  const name = id ?? `#${index + 1}`;
  const problems: ConditionProblem[] = [];
  const need = (cond: boolean, at: string, message: string) => cond || problems.push({ at, message });
  if (!id) problems.push({ at: 'id', message: 'must be a lower-case kebab-case string' });
  for (const k of Object.keys(r)) if (!RULE_KEYS.includes(k)) problems.push({ at: k, message: `unknown key (allowed: ${RULE_KEYS.join(', ')})` });
  const scope = (r.scope ?? 'machine') as RuleScope;
  need(scope === 'machine' || scope === 'disk', 'scope', "must be 'machine' or 'disk'");
  need(typeof r.title === 'string' && r.title.length > 0, 'title', 'must be a non-empty string');
  for (const k of ['okTitle', 'about']) need(r[k] === undefined || (typeof r[k] === 'string' && (r[k] as string).length > 0), k, 'must be a non-empty string');
  need(SEVERITIES.includes(r.severity as Severity), 'severity', `must be one of ${SEVERITIES.join(', ')}`);
  need(typeof r.rationale === 'string' && r.rationale.trim().length > 0, 'rationale', 'must say why, in plain words');
  need(Array.isArray(r.references) && r.references.length > 0 && r.references.every((x) => typeof x === 'string'), 'references', 'must be a non-empty list of strings');
  need(r.prerequisite === undefined || typeof r.prerequisite === 'boolean', 'prerequisite', 'must be true or false');
  need(r.status === undefined || r.status === 'info', 'status', "may only be 'info'");
  need(r.tradeoff === undefined || (typeof r.tradeoff === 'string' && r.tradeoff.trim().length > 0), 'tradeoff', 'must say, in plain words, what the change gives up');
  need(r.tradeoff === undefined || (Array.isArray(r.actions) && r.actions.length > 0), 'tradeoff', 'only a rule with actions has a trade-off');
  const fieldExists = (p: string) => fieldExistsIn(scope, p);
  for (const k of ['title', 'okTitle', 'about', 'tradeoff']) {
    if (typeof r[k] === 'string') for (const p of placeholders(r[k] as string)) if (!fieldExists(p)) problems.push({ at: k, message: `placeholder {${p}} names no Snapshot field` });
  }
  const applies = r.applies === undefined ? { all: [] } : parseCondition(r.applies, 'applies', fieldExists, problems);
  if (r.check === undefined) problems.push({ at: 'check', message: 'is required' });
  const check = r.check === undefined ? null : parseCondition(r.check, 'check', fieldExists, problems);
  const actions: ActionSpec[] = [];
  if (r.actions !== undefined) {
    if (!Array.isArray(r.actions)) problems.push({ at: 'actions', message: 'must be a list' });
    else
      r.actions.forEach((a, i) => {
        const parsed = parseAction(a, `actions[${i}]`, scope, fieldExists, problems);
        if (parsed) actions.push(parsed);
      });
  }
  const hostAdvice = parseHostAdvice(r.hostAdvice, problems);
  const noActions = r.actions === undefined || (Array.isArray(r.actions) && r.actions.length === 0);
  if (noActions && r.hostAdvice === undefined && r.status !== 'info') problems.push({ at: 'actions', message: 'a rule needs actions, hostAdvice, or status: info' });
  for (const p of problems) errors.push({ file, rule: name, at: p.at, message: p.message });
  if (problems.length || !id || !applies || !check) return null;
  return {
    id,
    title: r.title as string,
    okTitle: (r.okTitle as string | undefined) ?? null,
    about: (r.about as string | undefined) ?? null,
    scope,
    severity: r.severity as Severity,
    applies,
    check,
    rationale: (r.rationale as string).trim(),
    references: r.references as string[],
    actions,
    prerequisite: (r.prerequisite as boolean | undefined) ?? false,
    hostAdvice,
    ...(typeof r.tradeoff === 'string' ? { tradeoff: r.tradeoff.trim() } : {}),
    status: r.status as 'info' | undefined,
    file,
  };
}

function parseHostAdvice(raw: unknown, problems: ConditionProblem[]): HostAdvice | null {
  if (raw === undefined) return null;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({ at: 'hostAdvice', message: 'must be a mapping with text (and libvirtXml / qemu)' });
    return null;
  }
  const h = raw as Record<string, unknown>;
  const before = problems.length;
  for (const k of Object.keys(h)) if (!['text', 'libvirtXml', 'qemu'].includes(k)) problems.push({ at: `hostAdvice.${k}`, message: 'unknown key (allowed: text, libvirtXml, qemu)' });
  if (typeof h.text !== 'string' || !h.text.trim()) problems.push({ at: 'hostAdvice.text', message: 'must be a non-empty string' });
  for (const k of ['libvirtXml', 'qemu']) if (h[k] !== undefined && typeof h[k] !== 'string') problems.push({ at: `hostAdvice.${k}`, message: 'must be a string' });
  return problems.length === before ? { text: (h.text as string).trim(), libvirtXml: (h.libvirtXml as string | undefined)?.trim(), qemu: (h.qemu as string | undefined)?.trim() } : null;
}

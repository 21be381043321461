import type { Snapshot } from '../contracts/detect-document.js';
import { resolveAction } from './actions.js';
import { evaluateCondition } from './condition.js';
import { interpolate, resolveField } from './field-path.js';
import { sourceOf } from './fields.js';
import type { Condition, Evidence, Finding, FindingStatus, HostAdvice, Rule } from '../contracts/rule-types.js';

/** Pure: the same Snapshot and rules always give the same findings, in rule order. */
export function evaluateRules(snapshot: Snapshot, rules: Rule[]): Finding[] {
  const findings: Finding[] = [];
  for (const rule of rules) {
    const scopes: Array<{ scope: unknown; disk: string | null }> =
      rule.scope === 'disk' ? snapshot.disks.filter((d) => !d.vanished).map((d) => ({ scope: { ...snapshot, disk: d }, disk: d.name })) : [{ scope: snapshot, disk: null }];
    for (const { scope, disk } of scopes) findings.push(evaluateOne(rule, scope, disk));
  }
  return findings;
}

function evaluateOne(rule: Rule, scope: unknown, disk: string | null): Finding {
  const evidence: Evidence[] = [];
  const applies = evaluateCondition(rule.applies, scope, evidence);
  const fires = applies && evaluateCondition(rule.check, scope, evidence);
  const status: FindingStatus = !applies ? 'n/a' : !fires ? 'ok' : (rule.status ?? (rule.actions.length ? 'recommend' : rule.hostAdvice ? 'advise' : 'info'));
  const actions = fires ? rule.actions.map((a) => resolveAction(a, scope as { disk?: { name: string } })) : [];
  return {
    id: disk ? `${rule.id}:${disk}` : rule.id,
    ruleId: rule.id,
    title: interpolate(titleFor(rule, status, status === 'ok' ? unreadFields(rule.check, scope) : []), scope),
    status,
    severity: rule.severity,
    subject: disk,
    evidence: evidence.map((e) => ({ ...e, source: sourceOf(e.field, scope) })),
    rationale: interpolate(rule.rationale, scope),
    references: rule.references,
    actions,
    prerequisite: rule.prerequisite,
    hostAdvice: fires && rule.hostAdvice ? interpolateAdvice(rule.hostAdvice, scope) : null,
    reboot: actions.some((a) => a.reboot),
    ...(fires && rule.tradeoff ? { tradeoff: interpolate(rule.tradeoff, scope) } : {}),
  };
}

/**
 * A title that reads true in the finding's status: the problem only when the check fired; what is
 * fine when it did not; a neutral line when the rule does not apply. Rules without okTitle/about
 * (local ones written before those existed) get a plain statement built from their id.
 */
export function titleFor(rule: Rule, status: FindingStatus, unreadFields: string[] = []): string {
  const subject = rule.scope === 'disk' ? '{disk.name}: ' : '';
  // A check that did not fire because its fields could not be read says so, not "fine".
  if (status === 'ok' && unreadFields.length) return `${rule.about ?? `${subject}${rule.id}`}: not evaluated, ${unreadFields.join(', ')} could not be read`;
  if (status === 'ok') return rule.okTitle ?? rule.about ?? `${subject}${rule.id}: nothing to change`;
  if (status === 'n/a') return rule.about ?? `${subject}${rule.id}: does not apply`;
  return rule.title;
}

/**
 * Fields of a check that have no value where the comparison needs one: a number to compare, a
 * string that must differ, a boolean flag read from sysfs. `equals`/`in` a string and `exists`
 * are left out: there null is a meaningful state (e.g. haltpoll's `absence` is null when nothing
 * is missing).
 */
function unreadFields(c: Condition, scope: unknown): string[] {
  if ('all' in c) return c.all.flatMap((x) => unreadFields(x, scope));
  if ('any' in c) return c.any.flatMap((x) => unreadFields(x, scope));
  if ('not' in c) return unreadFields(c.not, scope);
  if (resolveField(scope, c.field) !== null) return [];
  const nullIsAState = c.op === 'exists' || c.op === 'in' || (c.op === 'equals' && typeof c.value !== 'boolean');
  return nullIsAState ? [] : [c.field];
}

function interpolateAdvice(h: HostAdvice, scope: unknown): HostAdvice {
  return {
    text: interpolate(h.text, scope),
    ...(h.libvirtXml ? { libvirtXml: interpolate(h.libvirtXml, scope) } : {}),
    ...(h.qemu ? { qemu: interpolate(h.qemu, scope) } : {}),
  };
}

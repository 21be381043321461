import type { Snapshot } from '../contracts/detect-document.js';
import { resolveAction } from './actions.js';
import { evaluateCondition } from './condition.js';
import { interpolate } from './field-path.js';
import { sourceOf } from './fields.js';
import type { Evidence, Finding, FindingStatus, HostAdvice, Rule } from './types.js';

/** Pure: the same Snapshot and rules always give the same findings, in rule order. */
export function evaluateRules(snapshot: Snapshot, rules: Rule[]): Finding[] {
  const findings: Finding[] = [];
  for (const rule of rules) {
    const scopes: Array<{ scope: unknown; disk: string | null }> =
      rule.scope === 'disk'
        ? snapshot.disks.filter((d) => !d.vanished).map((d) => ({ scope: { ...snapshot, disk: d }, disk: d.name }))
        : [{ scope: snapshot, disk: null }];
    for (const { scope, disk } of scopes) findings.push(evaluateOne(rule, scope, disk));
  }
  return findings;
}

function evaluateOne(rule: Rule, scope: unknown, disk: string | null): Finding {
  const evidence: Evidence[] = [];
  const applies = evaluateCondition(rule.applies, scope, evidence);
  const fires = applies && evaluateCondition(rule.check, scope, evidence);
  const status: FindingStatus = !applies
    ? 'n/a'
    : !fires
      ? 'ok'
      : (rule.status ?? (rule.actions.length ? 'recommend' : rule.hostAdvice ? 'advise' : 'info'));
  const actions = fires ? rule.actions.map((a) => resolveAction(a, scope as { disk?: { name: string } })) : [];
  return {
    id: disk ? `${rule.id}:${disk}` : rule.id,
    ruleId: rule.id,
    title: interpolate(rule.title, scope),
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
  };
}

function interpolateAdvice(h: HostAdvice, scope: unknown): HostAdvice {
  return {
    text: interpolate(h.text, scope),
    ...(h.libvirtXml ? { libvirtXml: interpolate(h.libvirtXml, scope) } : {}),
    ...(h.qemu ? { qemu: interpolate(h.qemu, scope) } : {}),
  };
}

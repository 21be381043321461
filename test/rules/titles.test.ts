import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/contracts/detect-document.js';
import { detectSnapshot } from '../../src/detect/snapshot.js';
import { Root } from '../../src/host/root.js';
import { evaluateRules } from '../../src/rules/evaluate.js';
import { resolveField } from '../../src/rules/field-path.js';
import { defaultRuleDirs, loadRules } from '../../src/rules/load.js';
import type { Finding, Rule } from '../../src/contracts/rule-types.js';
import { fixtureRoot, removeTemp } from '../helpers/fixtures.js';
import { bareMetalTree, xenGuestTree } from '../helpers/guest-trees.js';

// Every shipped rule, on every tree we have (captured, edited, and this machine), in every
// status: a finding's words must read true whatever the status, and never show raw placeholders.
const rules = loadRules(defaultRuleDirs()).rules;
const temps = [xenGuestTree({ scheduler: 'none [mq-deadline]' }), bareMetalTree()];
afterAll(() => temps.forEach(removeTemp));
const roots = fixtureRoot('.');
const trees: Array<[string, Snapshot]> = [
  ...readdirSync(roots, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d): [string, Snapshot] => [d.name, detectSnapshot(new Root(`${roots}/${d.name}`))]),
  ['xen (edited)', detectSnapshot(new Root(temps[0]!))],
  ['bare metal (edited)', detectSnapshot(new Root(temps[1]!))],
  ['this machine', detectSnapshot(new Root('/'))],
];

/** The rule forced into one status, with this tree's real values. */
const fire = (r: Rule): Rule => ({ ...r, applies: { all: [] }, check: { all: [] } });
const fine = (r: Rule): Rule => ({ ...r, applies: { all: [] }, check: { any: [] } });
const notApplicable = (r: Rule): Rule => ({ ...r, applies: { any: [] } });
/** The rule as shipped, and forced into each status. */
const variants = (r: Rule): Rule[] => [r, fire(r), fine(r), notApplicable(r)];
const PLACEHOLDER = /\{[a-zA-Z][\w.]*\}/;
function texts(f: Finding): string[] {
  return [
    f.title,
    f.rationale,
    ...(f.hostAdvice ? [f.hostAdvice.text, f.hostAdvice.libvirtXml ?? '', f.hostAdvice.qemu ?? ''] : []),
    ...f.actions.map((a) => String(a.value)),
    ...f.evidence.map((e) => e.source ?? ''),
  ];
}

describe('finding titles read true in every status', () => {
  it('covers every shipped rule and at least the captured trees', () => {
    expect(rules.length).toBeGreaterThanOrEqual(21);
    expect(trees.length).toBeGreaterThanOrEqual(9);
    for (const r of rules) {
      expect(r.okTitle, `${r.id}: okTitle`).toBeTruthy();
      expect(r.about, `${r.id}: about`).toBeTruthy();
      expect(r.okTitle, r.id).not.toBe(r.title);
    }
  });

  for (const [name, snap] of trees) {
    it(`${name}: no raw {placeholder} in any title, rationale, advice, action or source`, () => {
      const statuses = new Set<string>();
      for (const r of rules) {
        for (const v of variants(r)) {
          for (const f of evaluateRules(snap, [v])) {
            statuses.add(f.status);
            for (const t of texts(f)) expect(t, `${f.id} (${f.status})`).not.toMatch(PLACEHOLDER);
          }
        }
      }
      expect([...statuses].sort()).toEqual(expect.arrayContaining(['n/a', 'ok', 'recommend', 'advise', 'info']));
    });

    it(`${name}: ok and n/a findings never claim the problem; scheduler and NVMe titles name what is there`, () => {
      for (const r of rules) {
        const fired = evaluateRules(snap, [fire(r)]);
        const notFired = [...evaluateRules(snap, [fine(r)]), ...evaluateRules(snap, [notApplicable(r)])];
        for (const f of notFired) {
          const same = fired.find((x) => x.id === f.id)!;
          expect(f.title, `${f.id} (${f.status})`).not.toBe(same.title);
        }
      }
      for (const f of evaluateRules(snap, rules)) {
        expect(f.title, f.id).not.toMatch(/\bis (\S+), not \1\b/);
        const disk = snap.disks.find((d) => d.name === f.subject);
        if (f.ruleId === 'scheduler-not-none' && f.status !== 'n/a') {
          expect(f.title).toContain(`is ${disk!.settings.scheduler ?? 'unknown'}`);
          if (f.status === 'ok') expect(f.title).not.toMatch(/not none/);
        }
        if (f.ruleId === 'nvme-emulated-by-qemu') {
          if (f.status !== 'n/a') expect(f.title).toContain(String(resolveField({ disk }, 'disk.model') ?? 'unknown'));
          if (f.status !== 'advise') expect(f.title).not.toMatch(/emulated by QEMU/);
        }
      }
    });
  }
});

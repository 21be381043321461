import { describe, expect, it } from 'vitest';
import { detectSnapshot } from '../../src/detect/snapshot.js';
import { Root } from '../../src/host/root.js';
import { renderFindingsText } from '../../src/report/findings-text.js';
import { evaluateRules } from '../../src/rules/evaluate.js';
import { defaultRuleDirs, loadRules } from '../../src/rules/load.js';
import { planTune } from '../../src/tune/plan.js';
import { fixtureRoot, KVM_FIXTURE } from '../helpers/fixtures.js';

// The captured KVM guest collects iostats on vda: turning that off is a recommendation with a
// trade-off (monitoring goes blind), which nobody should get without asking for it.
const root = new Root(fixtureRoot(KVM_FIXTURE));
const findings = evaluateRules(detectSnapshot(root), loadRules(defaultRuleDirs()).rules);
const iostats = findings.find((f) => f.id === 'iostats-on:vda')!;

describe('a recommendation with a trade-off', () => {
  it('carries what it gives up, interpolated for the disk', () => {
    expect(iostats.status).toBe('recommend');
    expect(iostats.tradeoff).toMatch(/\/proc\/diskstats see no I\/O on vda$/);
  });

  it('check lists it apart from what costs nothing else, and counts it apart', () => {
    const text = renderFindingsText(findings, { showAll: false, verbose: false });
    const apply = text.indexOf('Apply in the guest');
    const tradeoff = text.indexOf('A trade-off: apply only if you accept what it gives up');
    expect(apply).toBeGreaterThanOrEqual(0);
    expect(tradeoff).toBeGreaterThan(apply);
    expect(text.slice(apply, tradeoff)).not.toContain('iostats-on:vda');
    expect(text.slice(tradeoff)).toMatch(/iostats-on:vda[\s\S]*gives up: iostat, sar/);
    expect(text).toMatch(/, 1 trade-off, /);
  });

  it('tune skips it, saying how to ask for it, unless it is named with --only', () => {
    const plan = planTune(root, findings, 'vda');
    expect(plan.changes.map((c) => c.action.target)).not.toContain('vda:queue/iostats');
    expect(plan.skipped.find((k) => k.action.target === 'vda:queue/iostats')?.reason).toMatch(/^a trade-off \(gives up: .*\): tried only when named, e.g. --only iostats-on$/);
    const named = planTune(
      root,
      findings.filter((f) => f.ruleId === 'iostats-on'),
      'vda',
      { named: true },
    );
    expect(named.changes.map((c) => c.action.target)).toEqual(['vda:queue/iostats']);
  });
});

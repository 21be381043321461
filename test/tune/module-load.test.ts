import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectSnapshot } from '../../src/detect/snapshot.js';
import { modulePresence } from '../../src/detect/kernel-modules.js';
import { Root } from '../../src/host/root.js';
import { runtimeKnob } from '../../src/knobs/kinds.js';
import { planPersistence } from '../../src/knobs/persist/persist-plan.js';
import { evaluateRules } from '../../src/rules/evaluate.js';
import { defaultRuleDirs, loadRules } from '../../src/rules/load.js';
import { Applier } from '../../src/tune/applier.js';
import { Journal } from '../../src/tune/journal.js';
import { planTune } from '../../src/tune/plan.js';
import { undoRun } from '../../src/tune/session.js';
import { makeTemp, removeTemp } from '../helpers/fixtures.js';
import { haltpollDriverTree } from '../helpers/guest-trees.js';
import { writeFiles } from '../helpers/tree-edit.js';

const rules = loadRules(defaultRuleDirs()).rules;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeTemp(d);
});
const keep = (d: string) => {
  dirs.push(d);
  return d;
};
const planOf = (dir: string) => {
  const root = new Root(dir);
  return planTune(root, evaluateRules(detectSnapshot(root), rules), null);
};

describe('cpuidle-haltpoll as a loadable module: a runtime change tune measures', () => {
  it('module not loaded on KVM: plan loads it with force=1 (measured), and the reboot-only command-line route is not proposed', () => {
    const plan = planOf(keep(haltpollDriverTree({ driver: 'module' })));
    const load = plan.changes.find((c) => c.action.kind === 'module-load');
    expect(load).toMatchObject({
      findingId: 'haltpoll-driver-loadable',
      from: ['unloaded'],
      action: { module: 'cpuidle_haltpoll', param: 'force', value: 1, runtime: true, target: 'load:cpuidle_haltpoll force=1' },
    });
    expect(plan.rebootOnly.map((r) => r.action.target)).not.toContain('cmdline:cpuidle_haltpoll.force');
    // Machine-wide: measured before any per-disk change.
    expect(plan.changes[0]!.action.kind).not.toBe('queue-attr');
  });

  it('built in: no runtime load; only cpuidle_haltpoll.force=1 and a reboot', () => {
    const plan = planOf(keep(haltpollDriverTree({ driver: 'builtin' })));
    expect(plan.changes.some((c) => c.action.kind === 'module-load')).toBe(false);
    expect(plan.rebootOnly.map((r) => r.action.target)).toContain('cmdline:cpuidle_haltpoll.force');
  });

  it('idle= on the command line: the driver would refuse, so no load is planned', () => {
    const dir = keep(haltpollDriverTree({ driver: 'module' }));
    const cmdline = join(dir, 'proc/cmdline');
    writeFileSync(cmdline, readFileSync(cmdline, 'utf8').replace('quiet', 'quiet idle=halt'));
    expect(planOf(dir).changes.some((c) => c.action.kind === 'module-load')).toBe(false);
  });

  it('the load is journaled with what it replaces (not loaded, governor menu) and revert undoes it', () => {
    const dir = keep(haltpollDriverTree({ driver: 'module' }));
    const state = keep(makeTemp());
    const root = new Root(dir);
    const plan = planOf(dir);
    const action = plan.changes.find((c) => c.action.kind === 'module-load')!.action;
    const journal = Journal.open(state);
    const applier = new Applier(root, journal, 'r1');
    journal.append({ t: 'run', run: 'r1', at: new Date().toISOString(), command: 'tune', nvprobeVersion: 'test' });
    const [w] = runtimeKnob('module-load').writes(root, action);
    expect(w).toEqual({ op: 'module', module: 'cpuidle_haltpoll', load: true, params: ['force=1'] });
    applier.apply(w!, 'load');
    const e = Journal.open(state).outstanding('r1');
    expect(e).toHaveLength(1);
    expect(e[0]!.prev).toEqual({ op: 'module', loaded: false, governor: 'menu' });
    // The tree is not a kernel: nothing loaded, so the knob does not read it as in effect.
    expect(runtimeKnob('module-load').verify(root, action)).toBe(false);
    // The tree after such a load, as the kernel shows it: initstate live, force Y.
    writeFiles(dir, { '/sys/module/cpuidle_haltpoll/initstate': 'live', '/sys/module/cpuidle_haltpoll/parameters/force': 'Y' });
    expect(runtimeKnob('module-load').read(root, action)).toEqual(['Y']);
    expect(runtimeKnob('module-load').verify(root, action)).toBe(true);
    undoRun(applier, journal, 'r1');
    expect(Journal.open(state).outstanding('r1')).toHaveLength(0);
  });

  it('persistence says honestly that nvprobe does not write the module load on disk yet', () => {
    const dir = keep(haltpollDriverTree({ driver: 'module' }));
    const root = new Root(dir);
    const action = planOf(dir).changes.find((c) => c.action.kind === 'module-load')!.action;
    const p = planPersistence(root, [action]);
    expect(p.writes).toHaveLength(0);
    expect(p.actions[0]).toMatchObject({ route: 'none' });
    expect(p.actions[0]!.text).toMatch(/modules-load\.d/);
  });

  it('on this machine: the live test needs cpuidle-haltpoll as an unloaded module', (ctx) => {
    const p = modulePresence(new Root('/'), 'cpuidle_haltpoll');
    if (p.kind !== 'module' || p.loaded !== false) ctx.skip(`cpuidle-haltpoll here is ${p.kind ?? 'unknown'} (${p.evidence}): the module case cannot exist on this machine`);
    expect(p.kind).toBe('module');
  });
});

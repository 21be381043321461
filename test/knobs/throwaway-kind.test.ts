import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/contracts/rule-types.js';
import type { TuneReport } from '../../src/contracts/tune-document.js';
import { detectSnapshot } from '../../src/detect/snapshot.js';
import { Root } from '../../src/host/root.js';
import { registerKnobKind } from '../../src/knobs/kinds.js';
import { planPersistence } from '../../src/knobs/persist/persist-plan.js';
import { openTarget } from '../../src/measure/probe-pipeline.js';
import { renderTuneText } from '../../src/report/tune-text.js';
import { evaluateRules } from '../../src/rules/evaluate.js';
import { formatRuleError, loadRuleFile } from '../../src/rules/load.js';
import { Journal } from '../../src/tune/journal.js';
import { planTune } from '../../src/tune/plan.js';
import { revertChanges } from '../../src/tune/revert.js';
import { runSession } from '../../src/tune/session.js';
import { diskTempDir } from '../helpers/files.js';
import { attachLoop } from '../helpers/loop-target.js';
import { THROWAWAY_KIND, throwawayKnobKind } from '../helpers/throwaway-knob-kind.js';
import type { TunePlan } from '../../src/contracts/tune-plan.js';

// A knob kind that lives in one test file (test/helpers/throwaway-knob-kind.ts), registered
// beside the built-in ones: rule loading, planning, the session, the journal, revert and the
// reports must all treat it as the per-disk kind it says it is, with no edit anywhere else.
let tmp: ReturnType<typeof diskTempDir>;
let loop: ReturnType<typeof attachLoop> | null = null;
let loopError = '';
let original = '';
let wanted = 0;
const readAhead = () => readFileSync(`/sys/block/${loop!.name}/queue/read_ahead_kb`, 'utf8').trim();

beforeAll(() => {
  tmp = diskTempDir('nvprobe-kind-');
  try {
    loop = attachLoop(tmp.dir);
    original = readAhead();
    wanted = original === '64' ? 32 : 64;
  } catch (err) {
    loopError = `no loop device could be attached here: ${(err as Error).message.split('\n')[0]}`;
  }
});
afterAll(() => {
  try {
    if (loop) {
      writeFileSync(`/sys/block/${loop.name}/queue/read_ahead_kb`, original);
      loop.detach();
    }
  } finally {
    tmp.remove();
  }
});

const ANY_MACHINE = '{ field: machine.architecture, exists: true }';
let files = 0;

/**
 * A per-disk rule of the throwaway kind for `disk`, and a machine-wide PM QoS rule listed after it.
 * `machineRule`: the throwaway kind's rule is a machine-wide one, which its kind must refuse.
 */
function ruleFile(disk: string, o: { value?: number; machineRule?: boolean } = {}): string {
  const file = join(tmp.dir, `rules-${files++}.yaml`);
  const where = o.machineRule
    ? `scope: machine
    severity: low
    applies: ${ANY_MACHINE}
    check: ${ANY_MACHINE}`
    : `scope: disk
    severity: low
    applies: { field: disk.name, equals: "${disk}" }
    check: { field: disk.transport, equals: loop }`;
  writeFileSync(
    file,
    `rules:
  - id: test-read-ahead
    title: "test: read-ahead of {disk.name}"
    ${where}
    rationale: a test rule of a knob kind registered by the test.
    references: [test]
    prerequisite: true
    actions:
      - { kind: ${THROWAWAY_KIND}, value: ${o.value ?? wanted} }
  - id: test-machine-wide
    title: "test: a machine-wide change"
    scope: machine
    severity: low
    applies: ${ANY_MACHINE}
    check: ${ANY_MACHINE}
    rationale: a test rule whose machine-wide change tune must order first.
    references: [test]
    actions:
      - { kind: pm-qos, value: 0 }
`,
  );
  return file;
}

const errorsOf = (file: string) => loadRuleFile(file).errors.map(formatRuleError);

function findingsFor(disk: string): Finding[] {
  const loaded = loadRuleFile(ruleFile(disk));
  expect(loaded.errors).toEqual([]);
  return evaluateRules(detectSnapshot(new Root('/')), loaded.rules);
}

function dryRunText(plan: TunePlan): string {
  const report: TuneReport = {
    schemaVersion: 1,
    kind: 'nvprobe.tune',
    nvprobeVersion: 'test',
    createdAt: '',
    run: null,
    dryRun: true,
    plan,
    target: null,
    engine: null,
    result: null,
    persisted: null,
    savedTo: null,
  };
  return renderTuneText(report);
}

describe('a knob kind defined in one file and registered', () => {
  it('unregistered, a rule naming it is refused at load', () => {
    expect(errorsOf(ruleFile('loop0')).join('\n')).toMatch(/'test-read-ahead' is not an allowed action kind \(queue-attr, module-param, pm-qos, kernel-cmdline, modprobe-option, module-load\)/);
  });

  describe('registered', () => {
    let unregister: () => void = () => {};
    beforeAll(() => {
      unregister = registerKnobKind(throwawayKnobKind);
    });
    afterAll(() => unregister());

    it('rule loading accepts it from YAML, checks it with its own allowlist, and refuses it on a machine-wide rule', () => {
      const loaded = loadRuleFile(ruleFile('loop0'));
      expect(loaded.errors).toEqual([]);
      expect(loaded.rules[0]!.actions).toEqual([{ kind: THROWAWAY_KIND, value: wanted }]);
      expect(errorsOf(ruleFile('loop0', { value: 99999 })).join('\n')).toMatch(/actions\[0\]\.value: must be a read-ahead in KiB, 0\.\.4096/);
      expect(errorsOf(ruleFile('loop0', { machineRule: true })).join('\n')).toMatch(/actions\[0\]: a test-read-ahead action needs a rule with scope: disk/);
    });

    it('is planned as a per-disk change: after the machine-wide one on its disk, skipped for another disk', (ctx) => {
      if (!loop) ctx.skip(loopError);
      const root = new Root('/');
      const findings = findingsFor(loop!.name);
      const target = `${loop!.name}:read-ahead`;

      const own = planTune(root, findings, loop!.name);
      expect(own.changes.map((c) => c.action.kind)).toEqual(['pm-qos', THROWAWAY_KIND]);
      expect(own.changes[1]).toMatchObject({
        findingId: `test-read-ahead:${loop!.name}`,
        from: [original],
        prerequisite: true,
        action: { target, disk: loop!.name, value: wanted, runtime: true, reboot: false },
      });
      expect(own.skipped).toEqual([]);
      expect(dryRunText(own)).toContain(`  ${target}: ${original} -> ${wanted}   (test-read-ahead:${loop!.name})`);

      const other = planTune(root, findings, 'vdz');
      expect(other.changes.map((c) => c.action.kind)).toEqual(['pm-qos']);
      expect(other.skipped).toEqual([
        { findingId: `test-read-ahead:${loop!.name}`, action: expect.objectContaining({ target }), reason: `the probe reads vdz, not ${loop!.name}: give ${loop!.name} as TARGET to tune it` },
      ]);
      expect(dryRunText(other)).toContain(`Not tried: ${target} = ${wanted}: the probe reads vdz, not ${loop!.name}`);

      expect(planPersistence(root, [own.changes[1]!.action]).actions).toEqual([{ target, route: 'none', text: `${target}=${wanted}: a test kind: never written on disk` }]);
    });

    it('tune sets it through the journal on a real loop device, reports it, and revert puts it back', async (ctx) => {
      if (!loop) ctx.skip(loopError);
      const root = new Root('/');
      const plan = planTune(root, findingsFor(loop!.name), loop!.name);
      // Only this kind's change: the machine-wide one is there for the ordering, not to be made.
      const only: TunePlan = { ...plan, changes: plan.changes.filter((c) => c.action.kind === THROWAWAY_KIND) };
      const state = join(tmp.dir, 'state');
      const journal = Journal.open(state);
      const run = 'kind-test';
      journal.append({ t: 'run', run, at: new Date().toISOString(), command: 'tune', nvprobeVersion: 'test' });
      const opened = await openTarget(root, { target: loop!.dev, blockSize: 4096, rampMs: 0, cpu: null, engine: 'auto', hipri: true, scratchDir: state }, () => {});
      try {
        const result = await runSession({
          root,
          journal,
          run,
          plan: only,
          target: opened.target,
          engine: opened.engine.engine,
          budgetMs: 60_000,
          roundMs: 60,
          maxBlocks: 8,
          passes: 3,
          pollWindowMs: 200,
          maxIdlePollShare: 0.05,
          trace: null,
          say: () => {},
        });
        const target = `${loop!.name}:read-ahead`;
        expect(result.changes.map((c) => [c.target, c.from, c.to, c.decision])).toEqual([[target, [original], wanted, 'kept']]);
        // Per-disk: no idle-polling windows around it (those are for machine-wide changes).
        expect(result.changes[0]!.pollShare).toBeUndefined();
        expect(readAhead()).toBe(String(wanted));
        const outstanding = Journal.open(state).outstanding(run);
        expect(outstanding.map((e) => [e.write, e.prev])).toEqual([
          [
            { op: 'attr', path: `/sys/block/${loop!.name}/queue/read_ahead_kb`, value: String(wanted) },
            { op: 'attr', value: original },
          ],
        ]);

        const report: TuneReport = {
          schemaVersion: 1,
          kind: 'nvprobe.tune',
          nvprobeVersion: 'test',
          createdAt: '',
          run,
          dryRun: false,
          plan: only,
          target: opened.target,
          engine: null,
          result,
          persisted: null,
          savedTo: null,
        };
        expect(renderTuneText(report)).toMatch(new RegExp(`^${target} +${original} +${wanted} .* kept$`, 'm'));

        const reverted = revertChanges(root, Journal.open(state), false);
        expect(reverted.map((r) => [r.path, r.restored])).toEqual([[`/sys/block/${loop!.name}/queue/read_ahead_kb`, expect.stringContaining(original)]]);
        expect(readAhead()).toBe(original);
        expect(Journal.open(state).outstanding()).toEqual([]);
      } finally {
        opened.engine.engine.close();
        writeFileSync(`/sys/block/${loop!.name}/queue/read_ahead_kb`, original);
      }
    });
  });
});

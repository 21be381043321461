import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { diskTempDir } from '../helpers/files.js';
import { attachLoop, queueAttrs, restoreQueueAttrs } from '../helpers/loop-target.js';

// check remembers what tune measured: a real tune run on a loop device this test attaches (with
// test rules, since no built-in rule applies to a loop device), then check reads the saved run.
// The changes are ones that do not move QD1 reads on a loop device, and no rule marks them as a
// prerequisite, so tune keeps them only when noise looks like a 3 % gain: most are reverted.
const CHANGES = [
  { attr: 'nomerges', value: 2, check: '{ field: disk.settings.nomerges, notEquals: 2 }' },
  { attr: 'rq_affinity', value: 2, check: '{ field: disk.settings.rqAffinity, notEquals: 2 }' },
  { attr: 'iostats', value: 0, check: '{ field: disk.settings.iostats, equals: true }' },
];
const FIRING = { nomerges: '0', rq_affinity: '1', iostats: '1' };
const ruleId = (attr: string) => `test-measured-${attr.replace(/_/g, '-')}`;

function rules(name: string): string {
  return `rules:\n${CHANGES.map(
    (c) => `  - id: ${ruleId(c.attr)}
    title: "test: set ${c.attr} of ${name} to ${c.value}"
    okTitle: "test: ${c.attr} of ${name} is ${c.value}"
    scope: disk
    severity: low
    applies: { field: disk.name, equals: ${name} }
    check: ${c.check}
    rationale: a test rule that changes a queue attribute of a loop device the test attached itself.
    references: [test]
    actions:
      - { kind: queue-attr, attr: ${c.attr}, value: ${c.value} }
`,
  ).join('')}`;
}

interface Change {
  findingId: string;
  target: string;
  decision: string;
  reason: string;
  to: string | number | null;
}
interface Measured {
  runId: string;
  at: string;
  target: string;
  decision: string;
  reason: string;
  p50BeforeUs: number | null;
  p50AfterUs: number | null;
}

let tmp: ReturnType<typeof diskTempDir>;
let loop: ReturnType<typeof attachLoop>;
let original: Record<string, string>;
let rulesDir: string;
let state: string;
let tuned: { run: string; createdAt: string; result: { changes: Change[] } };

beforeAll(async () => {
  tmp = diskTempDir('nvprobe-check-measured-');
  loop = attachLoop(tmp.dir);
  original = queueAttrs(loop.name);
  try {
    // A loop device's queue outlives detach and attach: start every rule from its firing value.
    restoreQueueAttrs(loop.name, FIRING);
    rulesDir = join(tmp.dir, 'rules');
    mkdirSync(rulesDir, { recursive: true });
    chmodSync(tmp.dir, 0o755);
    writeFileSync(join(rulesDir, 'loop.yaml'), rules(loop.name));
    state = join(tmp.dir, 'state');
    const only = CHANGES.map((c) => ruleId(c.attr)).join(',');
    // Noise can pass for a gain now and then: run again (the newest run is the one check must show)
    // until at least one change was measured and put back.
    for (let attempt = 0; attempt < 4; attempt++) {
      const r = await runCli(['tune', loop.dev, '--yes', '--json', '--rules', rulesDir, '--state-dir', state, '--only', only, '--round', '120ms', '--max-blocks', '8', '--budget', '60s']);
      if (r.code !== 0) throw new Error(`tune failed (${r.code}): ${r.stderr}`);
      tuned = JSON.parse(r.stdout);
      // Put back what was kept, so that every rule fires again and check has a finding for each change.
      const rv = await runCli(['revert', '--state-dir', state]);
      if (rv.code !== 0) throw new Error(`revert failed: ${rv.stderr}`);
      if (tuned.result.changes.some((c) => c.decision === 'reverted')) break;
    }
  } finally {
    // The tests below evaluate the rules on the device: leave it where every rule fires (afterAll restores the original).
    restoreQueueAttrs(loop.name, FIRING);
  }
}, 180_000);

afterAll(() => {
  restoreQueueAttrs(loop.name, original);
  loop.detach();
  tmp.remove();
});

const findingsOf = (stdout: string) => JSON.parse(stdout) as { summary: Record<string, number>; findings: Array<{ id: string; status: string; measured?: Measured }> };

describe('check shows what tune measured on this machine', () => {
  it('each measured finding carries the latest verdict of its change, with the decision and reason tune printed', async () => {
    const measured = tuned.result.changes.filter((c) => c.decision === 'kept' || c.decision === 'reverted');
    expect(measured.length).toBe(CHANGES.length);
    expect(measured.some((c) => c.decision === 'reverted')).toBe(true);
    const r = await runCli(['check', '--json', '--rules', rulesDir, '--state-dir', state]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = findingsOf(r.stdout);
    for (const c of measured) {
      const f = doc.findings.find((x) => x.id === c.findingId);
      expect(f?.status, c.findingId).toBe('recommend');
      expect(f!.measured).toMatchObject({ runId: tuned.run, at: tuned.createdAt, target: c.target, decision: c.decision, reason: c.reason });
      expect(f!.measured!.p50BeforeUs).toBeGreaterThan(0);
      expect(f!.measured!.p50AfterUs).toBeGreaterThan(0);
    }
    // A finding tune never measured (the live disk's) carries nothing.
    expect(
      doc.findings
        .filter((f) => f.measured)
        .map((f) => f.id)
        .sort(),
    ).toEqual(measured.map((c) => c.findingId).sort());
  });

  it('a change measured and put back no longer counts as to apply', async () => {
    const reverted = tuned.result.changes.filter((c) => c.decision === 'reverted').length;
    const empty = join(tmp.dir, 'empty-state');
    mkdirSync(empty, { recursive: true });
    const without = findingsOf((await runCli(['check', '--json', '--rules', rulesDir, '--state-dir', empty])).stdout).summary;
    const withRuns = findingsOf((await runCli(['check', '--json', '--rules', rulesDir, '--state-dir', state])).stdout).summary;
    expect(without.measuredNoGain).toBe(0);
    expect(withRuns.measuredNoGain).toBe(reverted);
    expect(withRuns.recommend).toBe(without.recommend! - reverted);
    expect(withRuns.advise).toBe(without.advise);
  });

  it('text: a line under each measured finding, and the summary says "measured: no gain here"', async () => {
    const r = await runCli(['check', '--rules', rulesDir, '--state-dir', state]);
    expect(r.code).toBe(0);
    const text = r.stdout.replace(/\n {6}(?! )/g, ' '); // join wrapped lines
    const when = `${tuned.createdAt.slice(0, 10)} ${tuned.createdAt.slice(11, 16)} UTC`;
    for (const c of tuned.result.changes) {
      const block = text.slice(text.indexOf(`(${c.findingId})`)).split('\n  ')[0]!;
      const tail = c.decision === 'reverted' ? 'reverted' : `kept (${c.target} = ${c.to})`;
      expect(block).toContain(`measured by tune on ${when} (run ${tuned.run}): ${c.reason} — ${tail}`);
    }
    const reverted = tuned.result.changes.filter((c) => c.decision === 'reverted').length;
    expect(r.stdout).toMatch(new RegExp(`^\\d+ to apply in the guest(, \\d+ trade-offs?)?, ${reverted} measured: no gain here, `, 'm'));
    expect(r.stdout).toContain(`Recommended, but measured here by tune: no gain (put back) (${reverted})`);
  });

  it("the default state dir is tune's (NVPROBE_STATE_DIR); --root reads it only when given", async () => {
    const env = { ...process.env, NVPROBE_STATE_DIR: state };
    const live = findingsOf((await runCli(['check', '--json', '--rules', rulesDir], { env })).stdout);
    expect(live.findings.filter((f) => f.measured).length).toBe(CHANGES.length);
    const tree = join(tmp.dir, 'tree');
    expect((await runCli(['snapshot', tree])).code).toBe(0);
    const offline = findingsOf((await runCli(['check', '--json', '--rules', rulesDir, '--root', tree], { env })).stdout);
    expect(offline.findings.some((f) => f.id === `${ruleId('nomerges')}:${loop.name}`)).toBe(true);
    expect(offline.findings.filter((f) => f.measured)).toEqual([]);
    const given = findingsOf((await runCli(['check', '--json', '--rules', rulesDir, '--root', tree, '--state-dir', state])).stdout);
    expect(given.findings.filter((f) => f.measured).length).toBe(CHANGES.length);
  });

  it("check --from reads the verdicts of the bundle's own saved runs, not the local state dir", async () => {
    const bundle = join(tmp.dir, 'b.tar.gz');
    const c = await runCli(['collect', '-o', bundle, '--no-probe', '--state-dir', state]);
    expect(c.code, c.stderr).toBe(0);
    // collect's check.json is built from the built-in rules: a loop device has no finding there,
    // so look at what check --from shows with the test rules, from the bundle's own saved runs.
    const empty = join(tmp.dir, 'empty-home');
    mkdirSync(empty, { recursive: true });
    const env = { ...process.env, NVPROBE_STATE_DIR: empty };
    const doc = findingsOf((await runCli(['check', '--json', '--rules', rulesDir, '--from', bundle], { env })).stdout);
    const measured = doc.findings.filter((f) => f.measured);
    expect(measured.map((f) => [f.id, f.measured!.decision, f.measured!.reason]).sort()).toEqual(tuned.result.changes.map((ch) => [ch.findingId, ch.decision, ch.reason]).sort());
  });

  it('a missing default state dir means no verdicts; a missing --state-dir is exit 2', async () => {
    const gone = join(tmp.dir, 'no-such-state');
    const r = await runCli(['check', '--json', '--rules', rulesDir], { env: { ...process.env, NVPROBE_STATE_DIR: gone } });
    expect(r.code).toBe(0);
    expect(findingsOf(r.stdout).findings.filter((f) => f.measured)).toEqual([]);
    const bad = await runCli(['check', '--state-dir', gone]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.split('\n')[0]).toBe(`nvprobe: --state-dir ${gone}: no such directory`);
  });
});

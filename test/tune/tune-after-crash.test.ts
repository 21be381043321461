import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NVPROBE, runCli, runCommand } from '../helpers/cli.js';
import { diskTempDir } from '../helpers/files.js';
import { attachLoop, loopRules, queueAttrs, restoreQueueAttrs } from '../helpers/loop-target.js';

// After kill -9, the journal holds a run without its end: the next tune must not measure on top
// of the killed run's values, and revert prints one line per attribute it put back.
let tmp: ReturnType<typeof diskTempDir>;
let loop: ReturnType<typeof attachLoop>;
let original: Record<string, string>;
const ACTIONS = [
  { attr: 'scheduler', value: 'mq-deadline' },
  { attr: 'nomerges', value: 2 },
  { attr: 'rq_affinity', value: 2 },
];
beforeAll(() => {
  tmp = diskTempDir('nvprobe-after-crash-');
  chmodSync(tmp.dir, 0o755);
  loop = attachLoop(tmp.dir);
  original = queueAttrs(loop.name);
  mkdirSync(join(tmp.dir, 'rules'));
  writeFileSync(join(tmp.dir, 'rules', 'loop.yaml'), loopRules(loop.name, ACTIONS));
});
afterAll(() => {
  restoreQueueAttrs(loop.name, original);
  loop.detach();
  tmp.remove();
});

const tuneArgs = (state: string) => [
  'tune',
  loop.dev,
  '--yes',
  '--rules',
  join(tmp.dir, 'rules'),
  '--state-dir',
  state,
  '--only',
  ACTIONS.map((a, i) => `test-loop-${i}-${a.attr.replace(/_/g, '-')}`).join(','),
  '--round',
  '60ms',
  '--max-blocks',
  '8',
  '--budget',
  '60s',
];
interface StatusEntry {
  path: string;
}

describe('a tune killed with kill -9', () => {
  it('the next tune refuses (exit 2) and says to revert first; after revert it runs', async () => {
    try {
      let state = '';
      let entries: StatusEntry[] = [];
      for (let n = 12; n <= 40 && entries.length < 2; n++) {
        state = join(tmp.dir, `state-${n}`);
        const r = await runCommand(NVPROBE, tuneArgs(state), { env: { ...process.env, NVPROBE_TEST_CRASH_AT: String(n) }, timeout: 60_000 });
        expect(r.signal, `crash point ${n} ran to the end: ${r.stderr}`).toBe('SIGKILL');
        entries = JSON.parse((await runCli(['status', '--state-dir', state, '--json'])).stdout).entries;
      }
      expect(entries.length).toBeGreaterThanOrEqual(2);
      const again = await runCli(tuneArgs(state));
      expect(again.code).toBe(2);
      expect(again.stdout).toBe('');
      expect(again.stderr).toMatch(/^nvprobe: an earlier tune \(run \S+, started \S+\) did not finish \(killed\?\): \d+ of its change\(s\) may still be in effect/);
      expect(again.stderr).toContain(`hint: run \`nvprobe revert --state-dir ${state}\` first`);
      // Refusing changed nothing: the killed run's entries are all still there.
      expect(JSON.parse((await runCli(['status', '--state-dir', state, '--json'])).stdout).entries).toHaveLength(entries.length);
      expect((await runCli(['revert', '--state-dir', state])).code).toBe(0);
      expect(queueAttrs(loop.name)).toEqual(original);
      const after = await runCli([...tuneArgs(state), '--json']);
      expect(after.code, after.stderr).toBe(0);
      expect((await runCli(['revert', '--state-dir', state])).code).toBe(0);
      expect(queueAttrs(loop.name)).toEqual(original);
    } finally {
      restoreQueueAttrs(loop.name, original);
    }
  });
});

describe('revert --all over two runs that changed the same attributes', () => {
  it('prints one line per attribute, with the value before nvprobe', async () => {
    const state = join(tmp.dir, 'state-two-runs');
    const rules2 = join(tmp.dir, 'rules2');
    mkdirSync(rules2);
    const second = [
      { attr: 'nomerges', value: 1 },
      { attr: 'rq_affinity', value: 0 },
    ];
    writeFileSync(join(rules2, 'loop.yaml'), loopRules(loop.name, second));
    try {
      expect((await runCli(tuneArgs(state))).code).toBe(0);
      const r2 = await runCli(['tune', loop.dev, '--yes', '--rules', rules2, '--state-dir', state, '--only', 'test-loop-0-nomerges,test-loop-1-rq-affinity', '--round', '60ms', '--max-blocks', '8']);
      expect(r2.code, r2.stderr).toBe(0);
      expect(JSON.parse((await runCli(['status', '--state-dir', state, '--json'])).stdout).entries).toHaveLength(5);
      const rv = await runCli(['revert', '--all', '--state-dir', state]);
      expect(rv.code, rv.stderr).toBe(0);
      const lines = rv.stdout.trim().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines).toEqual(
        expect.arrayContaining([
          `restored /sys/block/${loop.name}/queue/scheduler = ${/\[(.+?)\]/.exec(original.scheduler!)![1]}`,
          `restored /sys/block/${loop.name}/queue/nomerges = ${original.nomerges}`,
          `restored /sys/block/${loop.name}/queue/rq_affinity = ${original.rq_affinity}`,
        ]),
      );
      expect(queueAttrs(loop.name)).toEqual(original);
    } finally {
      restoreQueueAttrs(loop.name, original);
    }
  });
});

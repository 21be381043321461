import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NVPROBE, runCli, runCommand } from '../helpers/cli.js';
import { diskTempDir } from '../helpers/files.js';
import { asNobody } from '../helpers/unprivileged.js';
import { attachLoop, loopRules, queueAttrs, restoreQueueAttrs } from '../helpers/loop-target.js';

// Real sysfs writes on a loop device this test attaches: nvprobe tune with test rules that move
// its queue attributes away from the kernel defaults, then revert.
let tmp: ReturnType<typeof diskTempDir>;
let loop: ReturnType<typeof attachLoop>;
let original: Record<string, string>;
beforeAll(() => {
  tmp = diskTempDir('nvprobe-tune-');
  loop = attachLoop(tmp.dir);
  original = queueAttrs(loop.name);
});
afterAll(() => {
  restoreQueueAttrs(loop.name, original);
  loop.detach();
  tmp.remove();
});

let n = 0;
function setup(actions: Array<{ attr: string; value: string | number }>) {
  const dir = join(tmp.dir, `case${n++}`);
  mkdirSync(join(dir, 'rules'), { recursive: true, mode: 0o755 });
  chmodSync(tmp.dir, 0o755); // the non-root cases read the rules too
  writeFileSync(join(dir, 'rules', 'loop.yaml'), loopRules(loop.name, actions));
  const state = join(dir, 'state');
  const only = actions.map((_, i) => `test-loop-${i}-${actions[i]!.attr.replace(/_/g, '-')}`).join(',');
  const args = ['tune', loop.dev, '--yes', '--rules', join(dir, 'rules'), '--state-dir', state, '--only', only, '--round', '120ms', '--max-blocks', '8', '--budget', '60s'];
  return { dir, state, args };
}
/** A command line for `script -c` (a shell string): every word single-quoted. */
const shellLine = (words: string[]) => words.map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(' ');

const ACTIONS = [
  { attr: 'scheduler', value: 'mq-deadline' },
  { attr: 'nomerges', value: 2 },
  { attr: 'rq_affinity', value: 2 },
  { attr: 'iostats', value: 0 },
];

describe('nvprobe tune and revert on a loop device', () => {
  it('applies and measures each change, keeps prerequisites, and revert puts every value back', async () => {
    const { args, state } = setup(ACTIONS);
    try {
      const r = await runCli([...args, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc).toMatchObject({ schemaVersion: 1, kind: 'nvprobe.tune', dryRun: false });
      expect(doc.result.changes.map((c: { target: string; decision: string }) => [c.target, c.decision])).toEqual(ACTIONS.map((a) => [`${loop.name}:queue/${a.attr}`, 'kept']));
      expect(doc.result.changes[0].evidence.outcome).toBe('prerequisite');
      expect(doc.result.before.p50Us).toBeGreaterThan(0);
      expect(existsSync(doc.savedTo)).toBe(true);
      // The kept values are live, and status says so.
      expect(queueAttrs(loop.name)).toMatchObject({ scheduler: expect.stringContaining('[mq-deadline]'), nomerges: '2', rq_affinity: '2', iostats: '0' });
      const status = await runCli(['status', '--state-dir', state, '--json']);
      expect(JSON.parse(status.stdout).entries.map((e: { state: string }) => e.state)).toEqual(['applied', 'applied', 'applied', 'applied']);
      expect(status.code).toBe(0);
      // Drift: someone else changes one of them; status says so, and exits 6 (like TuneD's verify failing).
      writeFileSync(`/sys/block/${loop.name}/queue/nomerges`, '1');
      const drifted = await runCli(['status', '--state-dir', state]);
      expect(drifted.stdout).toMatch(/^drifted +\/sys\/block\/loop\d+\/queue\/nomerges = 2 \(live: 1\)/m);
      expect(drifted.code).toBe(6);
      expect((await runCli(['status', '--state-dir', state, '--json'])).code).toBe(6);
      // Revert puts back the others, leaves the one someone else changed as they set it, and says so (exit 4).
      const rv = await runCli(['revert', '--state-dir', state]);
      expect(rv.code).toBe(4);
      expect(rv.stdout).toMatch(/^restored \/sys\/block\/loop\d+\/queue\/scheduler = none$/m); // what is written back, not the list it was read as
      expect(rv.stdout).toMatch(/^left +\/sys\/block\/loop\d+\/queue\/nomerges: now 1, nvprobe set 2: changed by someone else since; left as is$/m);
      expect(rv.stderr).toMatch(/^nvprobe: 1 value\(s\) changed by someone else since nvprobe set them were left as is\nhint: /);
      expect(queueAttrs(loop.name)).toEqual({ ...original, nomerges: '1' });
      expect((await runCli(['revert', '--state-dir', state])).stdout).toBe('nothing to revert: nvprobe has no change in effect\n');
    } finally {
      restoreQueueAttrs(loop.name, original);
    }
  });

  it('--dry-run changes nothing and works without root', async (ctx) => {
    const nobody = asNobody(ctx);
    const { args } = setup(ACTIONS);
    const r = await nobody.run([...args, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/nothing will be changed/);
    expect(r.stdout).toContain(`${loop.name}:queue/scheduler: none -> mq-deadline`);
    expect(queueAttrs(loop.name)).toEqual(original);
  });

  it('not root: exit 3, nothing changed', async (ctx) => {
    const nobody = asNobody(ctx);
    const { args } = setup(ACTIONS);
    const r = await nobody.run(args);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^nvprobe: tune changes kernel settings and needs root/);
    expect(queueAttrs(loop.name)).toEqual(original);
  });

  it('a knob that refuses its value: this run is reverted, exit 4', async () => {
    const { args, state } = setup([
      { attr: 'nomerges', value: 2 },
      { attr: 'scheduler', value: 'no-such-scheduler' },
    ]);
    try {
      const r = await runCli(args);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/^nvprobe: .*scheduler.*failed \(EINVAL\); every change of this run was reverted/);
      expect(queueAttrs(loop.name)).toEqual(original);
      expect(JSON.parse((await runCli(['status', '--state-dir', state, '--json'])).stdout).entries).toEqual([]);
    } finally {
      restoreQueueAttrs(loop.name, original);
    }
  });

  it('one run per machine: a second tune with another --state-dir refuses (exit 1), and revert --all of both restores everything', async () => {
    const a = setup([{ attr: 'rq_affinity', value: 2 }]);
    const b = setup([{ attr: 'iostats', value: 0 }]);
    let first: ReturnType<typeof spawn> | undefined;
    try {
      // The first run measures slowly, so the second starts while it holds the machine lock.
      first = spawn(
        NVPROBE,
        a.args.map((x) => (x === '120ms' ? '1s' : x)),
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let err1 = '';
      first.stderr?.on('data', (d) => (err1 += d));
      const exited = new Promise<number | null>((resolve) => first!.on('exit', (c) => resolve(c)));
      const journal = join(a.state, 'journal.jsonl');
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && first.exitCode === null && !(existsSync(journal) && readFileSync(journal, 'utf8').includes('"run"'))) await new Promise((r) => setTimeout(r, 50));
      expect(first.exitCode, err1).toBeNull();
      const second = await runCli(b.args);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(new RegExp(`^nvprobe: another nvprobe tune is running \\(pid ${first.pid}\\); tune stops here and changes nothing\nhint: `));
      expect(existsSync(join(b.state, 'journal.jsonl'))).toBe(false);
      // revert of the other state dir (an existing one: a missing one is bad input) waits for nothing either.
      mkdirSync(b.state, { recursive: true, mode: 0o700 });
      const rv = await runCli(['revert', '--all', '--state-dir', b.state]);
      expect(rv.code).toBe(1);
      expect(rv.stderr).toMatch(new RegExp(`^nvprobe: another nvprobe tune is running \\(pid ${first.pid}\\)`));
      expect(await exited, err1).toBe(0);
      expect(queueAttrs(loop.name).iostats).toBe(original.iostats);
      // Once it is done, the second runs; then both reverts leave the device as it was.
      expect((await runCli(b.args)).code).toBe(0);
      expect(queueAttrs(loop.name)).toMatchObject({ rq_affinity: '2', iostats: '0' });
      for (const st of [b.state, a.state]) expect((await runCli(['revert', '--all', '--state-dir', st])).code).toBe(0);
      expect(queueAttrs(loop.name)).toEqual(original);
    } finally {
      // A failed assertion must not leave the first run holding the machine lock for the next tests.
      if (first && first.exitCode === null) first.kill('SIGKILL');
      restoreQueueAttrs(loop.name, original);
    }
  });

  it('a lock file whose holder is gone (kill -9) does not block the next run', async () => {
    const { args, state } = setup([{ attr: 'nomerges', value: 2 }]);
    try {
      // What a killed run leaves: the lock files, naming a pid that no longer holds them.
      mkdirSync(state, { recursive: true });
      writeFileSync(join(state, 'lock'), '999999999 tune\n');
      if (!existsSync('/run/nvprobe.lock')) writeFileSync('/run/nvprobe.lock', '999999999 tune\n', { mode: 0o600 });
      expect((await runCli(args)).code).toBe(0);
      expect((await runCli(['revert', '--state-dir', state])).code).toBe(0);
      expect(queueAttrs(loop.name)).toEqual(original);
    } finally {
      restoreQueueAttrs(loop.name, original);
    }
  });

  it('after a killed run (kill -9), the next tune refuses until revert (exit 2), then runs', async () => {
    const { args, state } = setup([{ attr: 'nomerges', value: 2 }]);
    try {
      // Crash point 3: the run record and the first intent are durable, the write is done, no `done`.
      const killed = await runCommand(NVPROBE, args, { env: { ...process.env, NVPROBE_TEST_CRASH_AT: '3' }, timeout: 60_000 });
      expect(killed.signal).toBe('SIGKILL');
      expect(queueAttrs(loop.name).nomerges).toBe('2');
      const again = await runCli(args);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(
        /^nvprobe: an earlier tune \(run \S+, started [^)]+\) did not finish \(killed\?\): 1 of its change\(s\) may still be in effect.*\nhint: run `nvprobe revert --state-dir \S+` first/,
      );
      expect(queueAttrs(loop.name).nomerges).toBe('2');
      expect((await runCli(['revert', '--state-dir', state])).code).toBe(0);
      expect(queueAttrs(loop.name)).toEqual(original);
      expect((await runCli(args)).code).toBe(0);
      expect((await runCli(['revert', '--state-dir', state])).code).toBe(0);
      expect(queueAttrs(loop.name)).toEqual(original);
    } finally {
      restoreQueueAttrs(loop.name, original);
    }
  });

  it('a corrupt journal: tune and revert refuse, nothing changed', async () => {
    const { args, state } = setup([{ attr: 'nomerges', value: 2 }]);
    mkdirSync(state, { recursive: true });
    writeFileSync(join(state, 'journal.jsonl'), '{"v":1,"t":"run","run":"x","crc":"0000"}\n');
    for (const r of [await runCli(args), await runCli(['revert', '--state-dir', state])]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/journal .* is corrupt at line 1 .* will not guess/);
    }
    expect(queueAttrs(loop.name)).toEqual(original);
  });

  it('disk full while writing the journal: clean error, nothing changed', async (ctx) => {
    const { args, state } = setup([{ attr: 'nomerges', value: 2 }]);
    mkdirSync(state, { recursive: true });
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', state], { encoding: 'utf8' });
    if (mount.status !== 0) ctx.skip(`cannot mount a small tmpfs for the state dir here: ${(mount.stderr || String(mount.error)).trim()}`);
    try {
      spawnSync('dd', ['if=/dev/zero', `of=${join(state, 'filler')}`, 'bs=4k', 'count=100']); // fills it
      const r = await runCli(args);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/^nvprobe: .*ENOSPC/m);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(queueAttrs(loop.name)).toEqual(original);
    } finally {
      spawnSync('umount', [state]);
      restoreQueueAttrs(loop.name, original);
    }
  });

  it('Ctrl-C during measurement reverts this run, then exits', async () => {
    const { args, state } = setup(ACTIONS);
    try {
      const child = spawn(
        NVPROBE,
        args.map((a) => (a === '120ms' ? '2s' : a)),
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      const journal = join(state, 'journal.jsonl');
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && child.exitCode === null && !(existsSync(journal) && readFileSync(journal, 'utf8').includes('"intent"'))) await new Promise((r) => setTimeout(r, 50));
      expect(child.exitCode, stderr).toBeNull();
      await new Promise((r) => setTimeout(r, 300));
      child.kill('SIGINT');
      const code = await exited;
      expect(code).toBe(130);
      expect(stderr).toMatch(/interrupted by SIGINT/);
      expect(queueAttrs(loop.name)).toEqual(original);
      expect(JSON.parse((await runCli(['status', '--state-dir', state, '--json'])).stdout).entries).toEqual([]);
    } finally {
      restoreQueueAttrs(loop.name, original);
    }
  });
});

describe('nvprobe tune on a terminal', () => {
  it('asks first, saying what flips, for how long, on which disk and how to undo it; "n" changes nothing', async (ctx) => {
    if (spawnSync('script', ['--version']).status !== 0) ctx.skip('script(1) (util-linux) is not installed: no terminal to ask on');
    const b = setup([{ attr: 'nomerges', value: 2 }]);
    const args = b.args.filter((a) => a !== '--yes');
    // script(1) gives nvprobe a real terminal and types the answer into it.
    const r = await runCommand('script', ['-qec', shellLine([NVPROBE, ...args]), '/dev/null'], { input: 'n\n' });
    // What the terminal shows: without carriage returns and readline's cursor moves.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is the point
    const screen = r.stdout.replace(/\r/g, '').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    expect(screen).toContain(
      `nvprobe tune will try 1 change(s) on this live system, measuring for up to 60 s in all, and keep only what measurably helps:\n  ${loop.name}:queue/nomerges: ${original.nomerges} -> 2\n`,
    );
    expect(screen).toContain(`its QD1 reads (one at a time) load ${loop.dev}.`);
    expect(screen).toContain(`undo it later with: nvprobe revert --state-dir ${b.state}\n`);
    expect(screen).toMatch(/Go ahead\? \[y\/N\] n\nnvprobe: nothing changed: not confirmed/);
    expect(r.code).toBe(0);
    expect(queueAttrs(loop.name)).toEqual(original);
    expect(existsSync(join(b.state, 'journal.jsonl'))).toBe(false);
  });
});

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../../src/tune/journal.js';
import { runCli } from '../helpers/cli.js';
import { diskTempDir } from '../helpers/files.js';

// Every command that keeps or reads nvprobe's state resolves the directory one way
// (--state-dir, else NVPROBE_STATE_DIR, else the default) and refuses the same bad places.
let tmp: ReturnType<typeof diskTempDir>;
let file: string;
beforeAll(() => {
  tmp = diskTempDir('nvprobe-state-dir-');
  file = join(tmp.dir, 'a-file');
  writeFileSync(file, 'not a directory\n');
});
afterAll(() => tmp.remove());

const COMMANDS: string[][] = [['tune', '--yes'], ['revert'], ['status'], ['collect', '--no-probe', '-o', 'unused.tar.gz']];
// Without an env of the caller's leaking in.
const env = (extra: Record<string, string> = {}) => {
  const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!('NVPROBE_STATE_DIR' in extra)) delete e.NVPROBE_STATE_DIR;
  return e;
};

describe('state dir validation', () => {
  it('a regular file, or a path below one: exit 2 and one line, for every command', async () => {
    for (const cmd of COMMANDS) {
      for (const bad of [file, join(file, 'sub')]) {
        const r = await runCli([...cmd, '--state-dir', bad], { cwd: tmp.dir, env: env(), timeout: 20_000 });
        expect(r.code, `${cmd[0]} ${bad}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(/^nvprobe: --state-dir .*a-file.* (exists and is not a directory|is not a directory)\nhint: give a directory .* to --state-dir\n$/);
      }
    }
    expect(readFileSync(file, 'utf8')).toBe('not a directory\n');
    expect(existsSync(join(tmp.dir, 'unused.tar.gz'))).toBe(false);
  });

  it('on /proc or /sys: exit 2 at once (no endless mkdir), for every command', async () => {
    for (const cmd of COMMANDS) {
      for (const bad of ['/proc/nvprobe-state-test/x', '/sys/nvprobe-state-test']) {
        const t0 = performance.now();
        const r = await runCli([...cmd, '--state-dir', bad], { cwd: tmp.dir, env: env(), timeout: 20_000 });
        expect(r.signal, `${cmd[0]} ${bad} did not finish`).toBeNull();
        expect(r.code, `${cmd[0]} ${bad}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`^nvprobe: --state-dir ${bad} is on (procfs|sysfs), a kernel pseudo filesystem: nvprobe cannot keep its journal there\\nhint: `));
        expect(performance.now() - t0).toBeLessThan(15_000);
      }
    }
  });

  it('NVPROBE_STATE_DIR is honoured the same way by every command (and --state-dir wins over it)', async () => {
    for (const cmd of COMMANDS) {
      const r = await runCli(cmd, { cwd: tmp.dir, env: env({ NVPROBE_STATE_DIR: file }), timeout: 20_000 });
      expect(r.code, `${cmd[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/^nvprobe: NVPROBE_STATE_DIR .*a-file exists and is not a directory\nhint: give a directory .* to NVPROBE_STATE_DIR\n$/);
    }
    // A journal in the env's directory: status and revert (of a captured tree) find it there.
    const state = join(tmp.dir, 'env-state');
    const tree = join(tmp.dir, 'tree');
    const attr = '/sys/block/loop9/queue/nomerges';
    mkdirSync(join(tree, 'sys/block/loop9/queue'), { recursive: true });
    writeFileSync(join(tree, attr), '2\n');
    const j = Journal.open(state);
    j.append({ t: 'run', run: 'r1', at: new Date().toISOString(), command: 'tune', nvprobeVersion: 'test' });
    j.append({ t: 'intent', run: 'r1', seq: 1, label: 'test', write: { op: 'attr', path: attr, value: '2' }, prev: { op: 'attr', value: '0' } });
    j.append({ t: 'done', run: 'r1', seq: 1 });
    j.append({ t: 'end', run: 'r1', status: 'complete' });
    const status = await runCli(['status', '--json', '--root', tree], { env: env({ NVPROBE_STATE_DIR: state }) });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).entries).toMatchObject([{ path: attr, written: '2', live: '2', state: 'applied' }]);
    // --state-dir wins over the env.
    mkdirSync(join(tmp.dir, 'elsewhere'), { mode: 0o700 });
    const other = await runCli(['status', '--json', '--root', tree, '--state-dir', join(tmp.dir, 'elsewhere')], { env: env({ NVPROBE_STATE_DIR: state }) });
    expect(JSON.parse(other.stdout).entries).toEqual([]);
    const rv = await runCli(['revert', '--root', tree], { env: env({ NVPROBE_STATE_DIR: state }) });
    expect(rv.code, rv.stderr).toBe(0);
    expect(rv.stdout).toBe(`restored ${attr} = 0\n`);
    expect(readFileSync(join(tree, attr), 'utf8')).toBe('0');
  });

  it('a state dir named for revert that does not exist is a typo: exit 2, nothing created (only tune creates one)', async () => {
    const state = join(tmp.dir, 'new/deeper/state');
    const r = await runCli(['revert', '--state-dir', state], { env: env() });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^nvprobe: --state-dir .*state: no such directory\n/);
    expect(existsSync(join(tmp.dir, 'new'))).toBe(false);
  });
});

// A journal is a file: root must not read, print or run what a planted one names.
import { chmodSync, chownSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Root } from '../../src/host/root.js';
import { isRegenerateCommand, regenerateCommands } from '../../src/knobs/persist/regenerate.js';
import { moduleArgv } from '../../src/knobs/write.js';
import { Journal } from '../../src/tune/journal.js';
import { runCli } from '../helpers/cli.js';
import { diskTempDir } from '../helpers/files.js';

let tmp: ReturnType<typeof diskTempDir>;
beforeAll(() => {
  tmp = diskTempDir('nvprobe-hostile-journal-');
});
afterAll(() => tmp.remove());

function plantedJournal(dir: string): void {
  const j = Journal.open(dir);
  j.append({ t: 'run', run: 'run-1', at: new Date().toISOString(), command: 'tune', nvprobeVersion: 'test' });
  j.append({ t: 'intent', run: 'run-1', seq: 1, label: 'planted', write: { op: 'attr', path: '/etc/shadow', value: 'x' }, prev: { op: 'attr', value: 'y' } });
  j.append({ t: 'done', run: 'run-1', seq: 1 });
}

describe('a planted journal', () => {
  it('in a state dir another user owns, or others may write: status as root refuses it (exit 2) and reads nothing', async (ctx) => {
    if (process.geteuid?.() !== 0) ctx.skip("needs root: the refusal is for root reading another user's directory");
    for (const [what, prepare] of [
      ['owned by nobody', (d: string) => chownSync(d, 65534, 65534)],
      ['group-writable', (d: string) => chmodSync(d, 0o770)],
    ] as const) {
      const dir = join(tmp.dir, what.replace(/\W/g, '-'));
      mkdirSync(dir, { mode: 0o700 });
      plantedJournal(dir);
      prepare(dir);
      const r = await runCli(['status', '--state-dir', dir]);
      expect(r.code, what).toBe(2);
      expect(r.stderr).toMatch(/root reads only a state dir only root can write/);
      expect(r.stdout + r.stderr).not.toMatch(/root:/);
    }
  });

  it("in root's own state dir: status shows a path off the write allowlist as refused, never its content", async () => {
    const dir = join(tmp.dir, 'roots');
    mkdirSync(dir, { mode: 0o700 });
    plantedJournal(dir);
    const r = await runCli(['status', '--state-dir', dir, '--json']);
    const entry = JSON.parse(r.stdout).entries[0];
    expect(entry).toMatchObject({ path: '/etc/shadow', written: '(refused)', live: null, state: 'unknown' });
    expect(r.stdout).not.toMatch(/root:/);
  });

  it('names only commands nvprobe would run: a regenerate argv or modprobe arguments from the journal are checked against the code', () => {
    const live = new Root('/');
    expect(isRegenerateCommand(live, ['touch', join(tmp.dir, 'pwned')])).toBe(false);
    expect(isRegenerateCommand(live, ['sh', '-c', 'id'])).toBe(false);
    for (const c of regenerateCommands(live)) expect(isRegenerateCommand(live, c)).toBe(true);
    expect(() => moduleArgv({ op: 'module', module: '-C/tmp/evil.conf', load: true, params: [] })).toThrow(/refusing modprobe arguments/);
    expect(() => moduleArgv({ op: 'module', module: 'cpuidle_haltpoll', load: true, params: ['force=1', '--config=/tmp/x'] })).toThrow(/refusing modprobe arguments/);
    expect(moduleArgv({ op: 'module', module: 'cpuidle_haltpoll', load: true, params: ['force=1'] })).toEqual(['modprobe', 'cpuidle_haltpoll', 'force=1']);
    expect(existsSync(join(tmp.dir, 'pwned'))).toBe(false);
  });
});

import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';

// Regressions from the hostile-input audit: every case ends within 10 s, with the documented exit
// code and one `nvprobe:` line (plus a hint), and changes nothing.

let tmp: ReturnType<typeof diskTempDir>;
let file: string;
let n = 0;
beforeAll(() => {
  tmp = diskTempDir('nvprobe-audit-');
  file = join(tmp.dir, 'target.dat');
  writeOffsetFile(file, 2048);
});
afterAll(() => tmp.remove());

function fresh(name: string): string {
  const d = join(tmp.dir, `${name}-${n++}`);
  mkdirSync(d, { mode: 0o700 });
  return d;
}

/** A captured tree to act on (--root), so that revert takes no machine-wide lock. */
function tree(): string {
  const t = fresh('tree');
  mkdirSync(join(t, 'sys/block'), { recursive: true });
  return t;
}

function mkfifo(p: string): void {
  expect(spawnSync('mkfifo', [p]).status).toBe(0);
}

function run(args: string[], opts: Parameters<typeof runCli>[1] = {}) {
  const t0 = Date.now();
  const r = runCli(args, { timeout: 10_000, ...opts });
  expect(r.signal, `${args.join(' ')} hung`).toBeNull();
  expect(Date.now() - t0).toBeLessThan(10_000);
  return r;
}

function expectError(args: string[], code: number, pattern: RegExp, opts: Parameters<typeof runCli>[1] = {}): void {
  const r = run(args, opts);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/internal error|this is a bug|\n\s+at /);
  const lines = r.stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^nvprobe: /);
  expect(lines.length).toBeLessThanOrEqual(2);
  expect(r.code).toBe(code);
}

describe('the journal and the lock in a state dir are opened without following or blocking', () => {
  it('a FIFO as journal.jsonl: status and revert refuse it at once (exit 2)', () => {
    const state = fresh('fifo-journal');
    mkfifo(join(state, 'journal.jsonl'));
    expectError(['status', '--state-dir', state], 2, /the journal .*journal\.jsonl is not a regular file/);
    expectError(['revert', '--state-dir', state, '--root', tree()], 2, /the journal .*journal\.jsonl is not a regular file/);
  });

  it("status as root on another user's state dir never truncates the file a journal link points to", () => {
    const state = fresh('link-journal');
    const victim = join(tmp.dir, `victim-${n++}`);
    writeFileSync(victim, 'precious, no trailing newline');
    symlinkSync(victim, join(state, 'journal.jsonl'));
    chownSync(state, 65534, 65534);
    expectError(['status', '--state-dir', state], 2, /the journal .*journal\.jsonl is a symbolic link/);
    expect(readFileSync(victim, 'utf8')).toBe('precious, no trailing newline');
  });

  it('status leaves a torn last record where it is (looking changes nothing)', () => {
    const state = fresh('torn');
    writeFileSync(join(state, 'journal.jsonl'), '{"v":1,"t":"run"');
    const r = run(['status', '--state-dir', state]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(state, 'journal.jsonl'), 'utf8')).toBe('{"v":1,"t":"run"');
  });

  it('a journal far larger than any nvprobe writes is refused, not read into memory', () => {
    const state = fresh('huge-journal');
    expect(spawnSync('truncate', ['-s', '200M', join(state, 'journal.jsonl')]).status).toBe(0);
    expectError(['status', '--state-dir', state], 2, /the journal .* is larger than \d+ bytes/);
  });

  it('a FIFO or a symlink as the lock file: exit 2 (bad input), nothing changed', () => {
    const a = fresh('fifo-lock');
    mkfifo(join(a, 'lock'));
    expectError(['revert', '--state-dir', a, '--root', tree()], 2, /the lock file .*lock is not a regular file/);
    const b = fresh('link-lock');
    symlinkSync(join(tmp.dir, 'nowhere'), join(b, 'lock'));
    expectError(['revert', '--state-dir', b, '--root', tree()], 2, /cannot open the lock file .*lock: it is a symbolic link/);
  });
});

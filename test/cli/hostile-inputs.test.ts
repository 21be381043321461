import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, openSync, closeSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, mkfifo, runBounded } from '../helpers/bad-input.js';
import { runCli } from '../helpers/cli.js';
import { asNobody } from '../helpers/unprivileged.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';
import { copyFixture, fixtureRoot, KVM_FIXTURE, removeTemp } from '../helpers/fixtures.js';

// Bad input from careless users and hostile authors: every case ends within 10 s, with the
// documented exit code and one `nvprobe:` line (plus a hint), never a hang or "internal error".

const ESC = '\u001b';
let tmp: ReturnType<typeof diskTempDir>;
let file: string;
const temps: string[] = [];
beforeAll(() => {
  tmp = diskTempDir('nvprobe-hostile-');
  file = join(tmp.dir, 'target.dat');
  writeOffsetFile(file, 2048);
});
afterAll(() => {
  tmp.remove();
  for (const t of temps) removeTemp(t);
});

const run = runBounded;

/** A tree that looks like a root (sys/block), with a FIFO where the kernel command line should be. */
function treeWithFifoCmdline(): string {
  const t = join(tmp.dir, `fifo-root-${temps.length}-${Date.now()}`);
  mkdirSync(join(t, 'sys/block'), { recursive: true });
  mkdirSync(join(t, 'proc'));
  mkfifo(join(t, 'proc/cmdline'));
  return t;
}

describe('no hangs on FIFOs and pseudo filesystems', () => {
  it('report ./fifo is refused, not waited on', async () => {
    const fifo = join(tmp.dir, 'bundle.fifo');
    mkfifo(fifo);
    await expectError(['report', fifo], 2, /bundle\.fifo is not a regular file/);
  });

  it('detect and snapshot --root with a FIFO at proc/cmdline finish and call it unreadable', async () => {
    const t = treeWithFifoCmdline();
    const d = await run(['detect', '--root', t, '--json']);
    expect(d.code).toBe(0);
    expect(JSON.parse(d.stdout).unavailable).toContainEqual(expect.objectContaining({ path: '/proc/cmdline', reason: 'not-a-file' }));
    const s = await run(['snapshot', join(tmp.dir, `copy-${Date.now()}`), '--root', t, '--json']);
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout).skipped).toContain('/proc/cmdline');
  });

  it('a state dir on procfs is refused (exit 2) before anything else', async () => {
    await expectError(['tune', file, '--yes', '--state-dir', '/proc/nvprobe-x'], 2, /--state-dir \/proc\/nvprobe-x is on procfs/);
    await expectError(['status', '--state-dir', '/proc/nvprobe-x'], 2, /is on procfs/);
    expect(existsSync('/proc/nvprobe-x')).toBe(false);
  });

  it('a rules file that is a FIFO is unreadable, not waited on', async () => {
    const dir = join(tmp.dir, 'fifo-rules');
    mkdirSync(dir);
    mkfifo(join(dir, 'x.yaml'));
    await expectError(['rules', 'list', '--rules', dir], 2, /x\.yaml: cannot read \(not a regular file\)/);
  });
});

describe('bad input is exit 2 (or 3), never a bug report', () => {
  it('a billion-laughs rules file', async () => {
    const dir = join(tmp.dir, 'laughs');
    mkdirSync(dir);
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    lines.push('rules: []');
    writeFileSync(join(dir, 'laughs.yaml'), `${lines.join('\n')}\n`);
    await expectError(['check', '--root', fixtureRoot(KVM_FIXTURE), '--rules', dir], 2, /laughs\.yaml: refused YAML: .*aliases expand too much/);
  });

  it('--state-dir that is a regular file, or a typo', async () => {
    const f = join(tmp.dir, 'not-a-dir');
    writeFileSync(f, 'x');
    await expectError(['status', '--state-dir', f], 2, /--state-dir .*not-a-dir (exists and )?is not a directory/);
    await expectError(['tune', file, '--yes', '--state-dir', f], 2, /is not a directory/);
    await expectError(['status', '--state-dir', join(tmp.dir, 'typo')], 2, /--state-dir .*typo: no such directory/);
    await expectError(['revert', '--state-dir', join(tmp.dir, 'typo')], 2, /--state-dir .*typo: no such directory/);
    await expectError(['status'], 2, /state dir .*typo: no such directory/, { env: { ...process.env, NVPROBE_STATE_DIR: join(tmp.dir, 'typo') } });
  });

  it("status as an unprivileged user on root's journal: exit 3", async (ctx) => {
    const nobody = asNobody(ctx);
    const state = join(tmp.dir, 'root-state');
    mkdirSync(state, { mode: 0o700 });
    writeFileSync(join(state, 'journal.jsonl'), '', { mode: 0o600 });
    chmodSync(tmp.dir, 0o755);
    const r = await nobody.run(['status', '--state-dir', state], { timeout: 10_000 });
    expect(r.stderr).toMatch(/^nvprobe: --state-dir .* is not readable by this user; nvprobe's journal is root's\nhint: /);
    expect(r.code).toBe(3);
  });

  it('a symlink loop as the target', async () => {
    symlinkSync('loop-b', join(tmp.dir, 'loop-a'));
    symlinkSync('loop-a', join(tmp.dir, 'loop-b'));
    await expectError(['probe', join(tmp.dir, 'loop-a')], 2, /loop-a: too many levels of symbolic links \(ELOOP\)/);
  });

  it('tune /dev/null: the same target validation as probe, before changing anything', async () => {
    const state = join(tmp.dir, 'tune-state');
    await expectError(['tune', '/dev/null', '--yes', '--state-dir', state], 2, /\/dev\/null is a character device/);
    await expectError(['tune', '/dev/null', '--dry-run'], 2, /\/dev\/null is a character device/);
    expect(existsSync(state)).toBe(false);
  });

  it('--root that is not a root: /proc, a tree without sys/block, sys/class or proc/cmdline, a missing dir', async () => {
    await expectError(['check', '--root', '/proc'], 2, /--root \/proc is on procfs/);
    const t = join(tmp.dir, 'not-root');
    mkdirSync(join(t, 'sys/kernel'), { recursive: true });
    await expectError(['detect', '--root', t], 2, /does not look like a root: it has no sys\/block, sys\/class or proc\/cmdline/);
    await expectError(['revert', '--root', join(tmp.dir, 'nonexistent'), '--state-dir', tmp.dir], 2, /--root .*nonexistent: no such directory/);
    await expectError(['status', '--root', join(tmp.dir, 'nonexistent')], 2, /--root .*nonexistent: no such directory/);
  });

  it('stdout that cannot be written (> /dev/full): exit 1 and one line', async () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const r = await runCli(['detect', '--root', fixtureRoot(KVM_FIXTURE)], { stdoutFd: fd, timeout: 10_000 });
      expect(r.stderr).toMatch(/^nvprobe: cannot write to standard output: ENOSPC/);
      expect(r.code).toBe(1);
    } finally {
      closeSync(fd);
    }
  });
});

describe('strings from trees, bundles and rules reach the terminal escaped', () => {
  const hostile = `EVIL${ESC}[2J${ESC}]0;pwned\u0007\u202Egnp.exe\u009b31m`;

  it('detect --root with control sequences in the CPU model and cmdline', async () => {
    const t = copyFixture(KVM_FIXTURE);
    temps.push(t);
    const cpuinfo = join(t, 'proc/cpuinfo');
    writeFileSync(cpuinfo, readFileSync(cpuinfo, 'utf8').replace(/^model name\s*:.*$/gm, `model name\t: ${hostile}`));
    const text = await run(['detect', '--root', t]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('EVIL\\x1b[2J\\x1b]0;pwned\\x07\\u202egnp.exe\\x9b31m');
    expect(text.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    const json = await run(['detect', '--root', t, '--json']);
    expect(json.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
    expect(JSON.parse(json.stdout).machine.cpuModel).toBe(hostile);
  });

  it('report of a document with hostile strings, and rules list with a hostile title', async () => {
    const doc = join(tmp.dir, 'probe.json');
    expect((await run(['probe', file, '--engine', 'psync2', '--ios', '200', '--ramp', '0', '--json', '-o', doc])).code).toBe(0);
    const parsed = JSON.parse(readFileSync(doc, 'utf8'));
    parsed.target.path = hostile;
    writeFileSync(doc, JSON.stringify(parsed));
    const r = await run(['report', doc]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('EVIL\\x1b[2J');
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);

    const dir = join(tmp.dir, 'hostile-rules');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'evil.yaml'),
      `rules:\n  - id: evil-title\n    title: "Clear \\e[2J screen \\u202E"\n    scope: machine\n    severity: info\n    applies: { field: kernel.release, exists: true }\n    check: { field: kernel.release, exists: true }\n    rationale: x\n    references: [https://example.org]\n    status: info\n`,
    );
    const l = await run(['rules', 'list', '--rules', dir]);
    if (l.code !== 0) throw new Error(l.stderr);
    expect(l.stdout).toContain('Clear \\x1b[2J screen \\u202e');
    expect(l.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
  });

  it('an error line quoting a hostile path is one escaped line', async () => {
    await expectError(['report', join(tmp.dir, `no${ESC}[2Jsuch\nfile`)], 2, /no\\x1b\[2Jsuch\\x0afile: no such file/);
  });
});

describe('a target that is not storage', () => {
  it('probe of a file in memory (tmpfs) says so in one line and in JSON', async (ctx) => {
    const shm = '/dev/shm';
    const dir = join(shm, `nvprobe-test-${process.pid}`);
    mkdirSync(dir);
    try {
      const f = join(dir, 't.dat');
      writeOffsetFile(f, 1024);
      const r = await run(['probe', f, '--engine', 'psync2', '--ios', '200', '--ramp', '0']);
      if (r.code === 2 && /O_DIRECT/.test(r.stderr)) ctx.skip('tmpfs has no O_DIRECT on this kernel (before 6.6): nothing is measured');
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n').filter((l) => /not backed by a block device/.test(l))).toEqual([
        `  NOTE          not backed by a block device: ${f} is on tmpfs (memory), so these figures are not storage latency`,
      ]);
      const j = JSON.parse((await run(['probe', f, '--engine', 'psync2', '--ios', '200', '--ramp', '0', '--json'])).stdout);
      expect(j.target.backing).toBe('memory');
      expect(j.target.backingNote).toMatch(/not storage latency/);
      const disk = JSON.parse((await run(['probe', file, '--engine', 'psync2', '--ios', '200', '--ramp', '0', '--json'])).stdout);
      expect(disk.target.backing).toBe('block-device');
      expect(disk.target.backingNote).toBeUndefined();
    } finally {
      spawnSync('rm', ['-rf', dir]);
    }
  });
});

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, mkfifo, runBounded } from '../helpers/bad-input.js';
import { NVPROBE } from '../helpers/cli.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';
import { asNobody } from '../helpers/unprivileged.js';
import { copyFixture, fixtureRoot, QEMU_POLL0_FIXTURE, removeTemp } from '../helpers/fixtures.js';

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

const run = runBounded;

describe('the journal and the lock in a state dir are opened without following or blocking', () => {
  it('a FIFO as journal.jsonl: status and revert refuse it at once (exit 2)', async () => {
    const state = fresh('fifo-journal');
    mkfifo(join(state, 'journal.jsonl'));
    await expectError(['status', '--state-dir', state], 2, /the journal .*journal\.jsonl is not a regular file/);
    await expectError(['revert', '--state-dir', state, '--root', tree()], 2, /the journal .*journal\.jsonl is not a regular file/);
  });

  it("status as root on another user's state dir never truncates the file a journal link points to", async () => {
    const state = fresh('link-journal');
    const victim = join(tmp.dir, `victim-${n++}`);
    writeFileSync(victim, 'precious, no trailing newline');
    symlinkSync(victim, join(state, 'journal.jsonl'));
    chownSync(state, 65534, 65534);
    // Refused at the directory already: root reads no state dir another user can write.
    await expectError(['status', '--state-dir', state], 2, /belongs to another user \(uid 65534\); root reads only a state dir only root can write/);
    expect(readFileSync(victim, 'utf8')).toBe('precious, no trailing newline');
  });

  it('status leaves a torn last record where it is (looking changes nothing)', async () => {
    const state = fresh('torn');
    writeFileSync(join(state, 'journal.jsonl'), '{"v":1,"t":"run"');
    const r = await run(['status', '--state-dir', state]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(state, 'journal.jsonl'), 'utf8')).toBe('{"v":1,"t":"run"');
  });

  it('a journal far larger than any nvprobe writes is refused, not read into memory', async () => {
    const state = fresh('huge-journal');
    expect(spawnSync('truncate', ['-s', '200M', join(state, 'journal.jsonl')]).status).toBe(0);
    await expectError(['status', '--state-dir', state], 2, /the journal .* is larger than \d+ bytes/);
  });

  it('a FIFO or a symlink as the lock file: exit 2 (bad input), nothing changed', async () => {
    const a = fresh('fifo-lock');
    mkfifo(join(a, 'lock'));
    await expectError(['revert', '--state-dir', a, '--root', tree()], 2, /the lock file .*lock is not a regular file/);
    const b = fresh('link-lock');
    symlinkSync(join(tmp.dir, 'nowhere'), join(b, 'lock'));
    await expectError(['revert', '--state-dir', b, '--root', tree()], 2, /cannot open the lock file .*lock: it is a symbolic link/);
  });
});

describe('a string with line breaks in it cannot forge lines of text output', () => {
  const forged = 'QEMU NVMe Ctrl\nroot fs     FORGED LINE';

  it('detect and check --root with a line feed in a device model', async () => {
    const t = copyFixture(QEMU_POLL0_FIXTURE);
    try {
      const model = join(t, 'sys/devices/pci0000:00/0000:00:03.0/nvme/nvme0/model');
      writeFileSync(model, `${forged}\n`);
      for (const cmd of ['detect', 'check']) {
        const r = await run([cmd, '--root', t]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toContain('QEMU NVMe Ctrl\\x0aroot fs     FORGED LINE');
        expect(r.stdout).not.toMatch(/^root fs\s+FORGED/m);
      }
    } finally {
      removeTemp(t);
    }
  });

  it('report of a document whose target path holds CR and LF', async () => {
    const doc = join(tmp.dir, `probe-${n++}.json`);
    expect((await run(['probe', file, '--engine', 'psync2', '--ios', '200', '--ramp', '0', '--no-trace', '--json', '-o', doc])).code).toBe(0);
    const parsed = JSON.parse(readFileSync(doc, 'utf8'));
    parsed.target.path = 'x\nFORGED p99 0.1 us\r';
    writeFileSync(doc, JSON.stringify(parsed));
    const r = await run(['report', doc]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('x\\x0aFORGED p99 0.1 us\\x0d');
    expect(r.stdout).not.toMatch(/^FORGED/m);
  });

  it('rules list with a line feed in a rule title', async () => {
    const dir = fresh('nl-rules');
    writeFileSync(
      join(dir, 'nl.yaml'),
      `rules:\n  - id: nl-title\n    title: "one\\nFORGED  machine  info  two"\n    scope: machine\n    severity: info\n    applies: { field: kernel.release, exists: true }\n    check: { field: kernel.release, exists: true }\n    rationale: x\n    references: [https://example.org]\n    status: info\n`,
    );
    const r = await run(['rules', 'list', '--rules', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('one\\x0aFORGED  machine  info  two');
    expect(r.stdout).not.toMatch(/^FORGED/m);
  });
});

describe('careless option values', () => {
  it('a duration beyond a day is refused, not turned into an instant timeout (TimeoutOverflowWarning)', async () => {
    await expectError(['probe', file, '--duration', '600h'], 2, /--duration must be at most 24h, not '600h'/);
    await expectError(['tune', file, '--dry-run', '--budget', '99999999999999h'], 2, /--budget must be at most 24h/);
    const state = fresh('collect-state');
    const out = join(tmp.dir, `c-${n++}.tar.gz`);
    await expectError(['collect', '--probe-duration', '600h', '--state-dir', state, '-o', out], 2, /--probe-duration must be at most 24h/);
    expect(existsSync(out)).toBe(false);
  });

  it("tune --only '' (no ids at all) is a usage error, not a run that quietly tunes nothing", async () => {
    await expectError(['tune', file, '--dry-run', '--only', ''], 2, /--only needs at least one rule or finding id/);
    await expectError(['tune', file, '--dry-run', '--only', ' , '], 2, /--only needs at least one rule or finding id/);
  });
});

describe('destinations and captured trees', () => {
  it('snapshot into a world-writable directory without the sticky bit is refused, like -o', async () => {
    const ww = fresh('ww');
    chmodSync(ww, 0o777);
    await expectError(['snapshot', join(ww, 'snap'), '--root', fixtureRoot(QEMU_POLL0_FIXTURE)], 2, /world-writable without the sticky bit/);
    expect(readdirSync(ww)).toEqual([]);
  });

  it('huge files in a captured tree are skipped at once, not read (detect stays fast)', async () => {
    const t = fresh('huge-tree');
    mkdirSync(join(t, 'sys/block/vda/queue'), { recursive: true });
    mkdirSync(join(t, 'proc'));
    for (const f of ['proc/cmdline', 'proc/cpuinfo', 'proc/interrupts', 'proc/mounts', 'sys/block/vda/queue/scheduler']) {
      expect(spawnSync('truncate', ['-s', '1G', join(t, f)]).status).toBe(0);
    }
    const t0 = Date.now();
    const r = await run(['detect', '--root', t, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(JSON.parse(r.stdout).unavailable).toContainEqual(expect.objectContaining({ path: '/proc/cmdline', detail: 'EFBIG' }));
  });
});

describe('the HTML report', () => {
  it('shows control characters and bidi overrides from a document as visible escapes', async () => {
    const doc = join(tmp.dir, `probe-${n++}.json`);
    expect((await run(['probe', file, '--engine', 'psync2', '--ios', '200', '--ramp', '0', '--no-trace', '--json', '-o', doc])).code).toBe(0);
    const parsed = JSON.parse(readFileSync(doc, 'utf8'));
    parsed.target.path = `EVIL\u001b[2J\u001b]0;pwned\u0007\u202egnp.exe\u009b31m`;
    writeFileSync(doc, JSON.stringify(parsed));
    const html = join(tmp.dir, `r-${n++}.html`);
    const r = await run(['report', doc, '-o', html]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(html, 'utf8');
    expect(text).toContain('EVIL\\x1b[2J\\x1b]0;pwned\\x07\\u202egnp.exe\\x9b31m');
    const raw = [...text].filter((c) => c !== '\n' && c !== '\t' && (c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f) || (c >= '\u202a' && c <= '\u202e')));
    expect(raw).toEqual([]);
  });
});

describe('rule files', () => {
  const KVM = 'kvm-virtio-1q-haltpoll';

  it("a rules dir of another user: its links are not followed (an error line would quote /etc/shadow's lines)", async () => {
    const dir = fresh('foreign-rules');
    const secret = join(tmp.dir, `secret-${n++}`);
    writeFileSync(secret, 'root:$6$hash-that-must-not-show:20000:0:99999:7:::\n', { mode: 0o600 });
    symlinkSync(secret, join(dir, 'shadow.yaml'));
    spawnSync('chown', ['-h', '65534:65534', join(dir, 'shadow.yaml')]);
    const linkedDir = join(tmp.dir, `linked-rules-${n++}`);
    symlinkSync(dir, linkedDir);
    spawnSync('chown', ['-h', '65534:65534', linkedDir]);
    for (const args of [
      ['rules', 'validate', dir],
      ['check', '--root', fixtureRoot(KVM), '--rules', dir],
      ['check', '--root', fixtureRoot(KVM), '--rules', linkedDir],
    ]) {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/a symbolic link of another user \(uid 65534\), not followed/);
      expect(r.stderr).not.toMatch(/hash-that-must-not-show/);
    }
  });

  it('rules validate PATH refuses an id the built-in rules already use, as check does', async () => {
    const dir = fresh('dup-builtin');
    writeFileSync(
      join(dir, 'dup.yaml'),
      `rules:\n  - id: scheduler-not-none\n    title: t\n    scope: machine\n    severity: info\n    applies: { field: kernel.release, exists: true }\n    check: { field: kernel.release, exists: true }\n    rationale: x\n    references: [https://example.org]\n    status: info\n`,
    );
    const v = await run(['rules', 'validate', dir]);
    expect(v.stderr).toMatch(/^nvprobe: .*dup\.yaml: rule 'scheduler-not-none': id: duplicate rule id, already defined in .*scheduler\.yaml$/m);
    expect(v.code).toBe(2);
    await expectError(['check', '--root', fixtureRoot(KVM), '--rules', dir], 2, /duplicate rule id/);
    const builtIn = await run(['rules', 'validate', fixtureRoot(KVM).replace(/test\/fixtures\/roots\/.*$/, 'rules/scheduler.yaml')]);
    expect(builtIn.code, builtIn.stderr).toBe(0);
  });
});

describe('signals', () => {
  it('SIGTERM during probe, stderr not a terminal: exit 143 and the first line is the nvprobe: line (no blank line)', async () => {
    const child = spawn(NVPROBE, ['probe', file, '--engine', 'psync2', '--no-trace', '--duration', '20s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(code).toBe(143);
    expect(stderr).toBe('nvprobe: interrupted by SIGTERM, cleaning up\n');
  });
});

describe('a state dir reached through a link of another user', () => {
  it('is refused for revert and tune: root would create and truncate its lock where that user chose', async () => {
    const victim = fresh('victim');
    writeFileSync(join(victim, 'lock'), 'keep');
    const link = join(tmp.dir, `foreign-state-${n++}`);
    symlinkSync(victim, link);
    spawnSync('chown', ['-h', '65534:65534', link]);
    await expectError(['revert', '--state-dir', link, '--root', tree()], 2, /--state-dir .* is a symbolic link of another user \(uid 65534\)/);
    await expectError(['tune', file, '--yes', '--state-dir', link], 2, /is a symbolic link of another user/);
    expect(readFileSync(join(victim, 'lock'), 'utf8')).toBe('keep');
  });
});

describe('as an unprivileged user', () => {
  it('snapshot into a directory nobody may write to is a bad path (exit 2), as -o is', async (ctx) => {
    const nobody = asNobody(ctx);
    const closed = fresh('closed');
    chmodSync(closed, 0o755);
    chmodSync(tmp.dir, 0o755);
    // A copy nobody can read: the checkout itself may be private (a 0700 clone).
    const root = copyFixture(QEMU_POLL0_FIXTURE);
    try {
      expect(spawnSync('chmod', ['-R', 'a+rX', root]).status).toBe(0);
      const t0 = Date.now();
      const r = await nobody.run(['snapshot', join(closed, 'snap'), '--root', root], { timeout: 10_000 });
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(r.stderr).toMatch(/^nvprobe: cannot create .*snap: no permission to create directories in .*closed.* \(EACCES\)\nhint: /);
      expect(r.code).toBe(2);
    } finally {
      removeTemp(root);
    }
  });
});

describe("tune's saved runs in a state dir", () => {
  it('a FIFO (or a link) in runs/ is left out, not waited on: check and collect finish', async () => {
    const state = fresh('runs-fifo');
    mkdirSync(join(state, 'runs'));
    mkfifo(join(state, 'runs', 'a.json'));
    symlinkSync('/etc/shadow', join(state, 'runs', 'b.json'));
    const c = await run(['check', '--root', fixtureRoot(QEMU_POLL0_FIXTURE), '--state-dir', state]);
    expect(c.code, c.stderr).toBe(0);
    const out = join(tmp.dir, `runs-${n++}.tar.gz`);
    const b = await run(['collect', '--no-probe', '--state-dir', state, '-o', out]);
    expect(b.code, b.stderr).toBe(0);
  });
});

describe('paths echoed by "wrote …" lines', () => {
  it('a destination with a line feed in its name is one line of output (collect, report -o, snapshot)', async () => {
    const state = fresh('wrote-state');
    const c = await run(['collect', '--no-probe', '--state-dir', state, '-o', join(tmp.dir, `b${n++}\nFORGED.tar.gz`)]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout.split('\n')[0]).toMatch(/^wrote .*\\x0aFORGED\.tar\.gz \(/);
    const doc = join(tmp.dir, `probe-${n++}.json`);
    expect((await run(['probe', file, '--engine', 'psync2', '--ios', '200', '--ramp', '0', '--no-trace', '--json', '-o', doc])).code).toBe(0);
    const r = await run(['report', doc, '-o', join(tmp.dir, `r${n++}\nFORGED.html`)]);
    expect(r.stdout).toMatch(/^wrote .*\\x0aFORGED\.html\n$/);
    const s = await run(['snapshot', join(tmp.dir, `s${n++}\nFORGED`), '--root', fixtureRoot(QEMU_POLL0_FIXTURE)]);
    expect(s.stdout).toMatch(/^wrote .*\\x0aFORGED: \d+ files/);
    for (const out of [c.stdout, r.stdout, s.stdout]) expect(out).not.toMatch(/^FORGED/m);
  });

  it('a target path with a line feed is one line in probe text', async () => {
    const odd = join(tmp.dir, `odd-${n++}\nFORGED`);
    writeOffsetFile(odd, 256);
    const r = await run(['probe', odd, '--ios', '200', '--ramp', '0', '--no-trace']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^nvprobe probe: .*odd-\d+\\x0aFORGED \(file/m);
    expect(r.stdout).not.toMatch(/^FORGED/m);
    const v = await run(['probe', odd, '--ios', '200', '--ramp', '0', '--no-trace', '--verbose']);
    expect(v.stdout).toMatch(/^ {2}target {4}.*odd-\d+\\x0aFORGED \(file/m);
    expect(v.stdout).not.toMatch(/^FORGED/m);
  });

  it('verify as an ordinary user: exit 3 (needs root), not a runtime failure', async (ctx) => {
    const nobody = asNobody(ctx);
    const state = fresh('verify-nobody');
    chmodSync(state, 0o755);
    chmodSync(tmp.dir, 0o755);
    const r = await nobody.run(['verify', '--state-dir', state], { timeout: 10_000 });
    expect(r.stderr).toMatch(/^nvprobe: .*needs root\nhint: rerun as root/);
    expect(r.code).toBe(3);
  });
});

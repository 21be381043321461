import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from '../helpers/cli.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';

// Files nvprobe writes as root into places others may write to: never through a planted link,
// never onto a special file, never after measuring when the place was bad to begin with.

let tmp: ReturnType<typeof diskTempDir>;
let target: string;
const PROBE = ['--engine', 'psync2', '--ios', '300', '--ramp', '0'];
beforeAll(() => {
  tmp = diskTempDir('nvprobe-out-');
  target = join(tmp.dir, 'target.dat');
  writeOffsetFile(target, 2048);
});
afterAll(() => tmp.remove());

function mkfifo(p: string): void {
  expect(spawnSync('mkfifo', [p]).status).toBe(0);
}

/**
 * A private /dev/full (char 1:7) in the test's own dir: the real one must never be the
 * destination, or a run of nvprobe without these fixes would replace it for the whole machine.
 */
function devFull(dir: string): string {
  const p = join(dir, `full-${Date.now()}`);
  expect(spawnSync('mknod', ['-m', '666', p, 'c', '1', '7']).status).toBe(0);
  return p;
}

function expectRefused(r: CliResult, pattern: RegExp): void {
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr.trim().split('\n')[0]).toMatch(/^nvprobe: /);
  expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  expect(r.stdout).toBe('');
  expect(r.code).toBe(2);
}

describe('probe -o: the destination', () => {
  it('refuses /dev/full, a FIFO and a symlink, and leaves them as they were', async () => {
    const fifo = join(tmp.dir, 'fifo.prom');
    mkfifo(fifo);
    const victim = join(tmp.dir, 'victim');
    writeFileSync(victim, 'secret\n', { mode: 0o600 });
    const link = join(tmp.dir, 'link.prom');
    symlinkSync(victim, link);

    const full = devFull(tmp.dir);
    expectRefused(await runCli(['probe', target, ...PROBE, '--format', 'prometheus', '-o', full]), /full-\d+: it is a character device.*\nhint: .*leave out -o/);
    expect(lstatSync(full).isCharacterDevice()).toBe(true);
    expectRefused(await runCli(['probe', target, ...PROBE, '-o', fifo], { timeout: 10_000 }), /fifo\.prom: it is a FIFO/);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expectRefused(await runCli(['probe', target, ...PROBE, '-o', link]), /link\.prom: it is a symlink/);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(victim, 'utf8')).toBe('secret\n');
    expect(statSync(victim).mode & 0o777).toBe(0o600);
  });

  it('refuses a bad place before measuring: /proc, a missing dir, a world-writable dir without the sticky bit', async () => {
    const t0 = Date.now();
    expectRefused(await runCli(['probe', target, '--engine', 'psync2', '--duration', '30s', '-o', '/proc/nvprobe.prom']), /^nvprobe: cannot write \/proc\/nvprobe\.prom: /);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expectRefused(await runCli(['probe', target, ...PROBE, '-o', join(tmp.dir, 'no/such/x.prom')]), /its directory does not exist/);
    const open = join(tmp.dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expectRefused(await runCli(['probe', target, ...PROBE, '-o', join(open, 'x.prom')]), /world-writable without the sticky bit/);
    expect(readdirSync(open)).toEqual([]);
  });

  it('does not write through links planted at the temp names of the next pids (textfile collector dir)', async () => {
    const dir = join(tmp.dir, 'textfile');
    mkdirSync(dir);
    const victim = join(tmp.dir, 'shadow-like');
    writeFileSync(victim, 'root only\n', { mode: 0o600 });
    // What a local user could plant in a shared directory: the old name pattern for the pids to come.
    const next = spawnSync('true').pid!;
    for (let pid = next; pid < next + 3000; pid++) symlinkSync(victim, join(dir, `.nvprobe.prom.nvprobe-${pid}.tmp`));
    const r = await runCli(['probe', target, ...PROBE, '--format', 'prometheus', '-o', join(dir, 'nvprobe.prom')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('root only\n');
    expect(statSync(victim).mode & 0o777).toBe(0o600);
    const out = join(dir, 'nvprobe.prom');
    expect(lstatSync(out).isFile()).toBe(true);
    expect(statSync(out).mode & 0o777).toBe(0o644);
    expect(readFileSync(out, 'utf8')).toMatch(/^nvprobe_read_latency_seconds/m);
    // No temp file of ours left behind, the planted links untouched.
    expect(readdirSync(dir).filter((n) => !n.startsWith('.nvprobe.prom.nvprobe-') || !lstatSync(join(dir, n)).isSymbolicLink())).toEqual(['nvprobe.prom']);
  });

  it('replaces a regular file atomically (mode 0644, the report inside)', async () => {
    const out = join(tmp.dir, 'again.json');
    writeFileSync(out, 'old', { mode: 0o600 });
    const r = await runCli(['probe', target, ...PROBE, '--json', '-o', out]);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).kind).toBe('nvprobe.probe');
    expect(statSync(out).mode & 0o777).toBe(0o644);
  });
});

describe('report -o and collect -o: the destination', () => {
  it('refuses a symlink and a character device even with --force', async () => {
    const doc = join(tmp.dir, 'probe.json');
    const p = await runCli(['probe', target, ...PROBE, '--json', '-o', doc]);
    expect(p.code).toBe(0);
    const victim = join(tmp.dir, 'victim2');
    writeFileSync(victim, 'keep\n', { mode: 0o600 });
    const link = join(tmp.dir, 'report.html');
    symlinkSync(victim, link);
    expectRefused(await runCli(['report', doc, '-o', link, '--force']), /report\.html: it is a symlink/);
    expect(readFileSync(victim, 'utf8')).toBe('keep\n');
    const full = devFull(tmp.dir);
    expectRefused(await runCli(['report', doc, '-o', full, '--force']), /full-\d+: it is a character device/);
    expect(lstatSync(full).isCharacterDevice()).toBe(true);
    const state = join(tmp.dir, 'state');
    mkdirSync(state, { mode: 0o700 });
    expectRefused(await runCli(['collect', '--no-probe', '-o', full, '--force', '--state-dir', state]), /full-\d+: it is a character device/);
    expect(lstatSync(full).isCharacterDevice()).toBe(true);
    expect(existsSync(join(tmp.dir, 'report.html.tmp'))).toBe(false);
  });
});

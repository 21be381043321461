import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTar, type TarEntry } from '../../src/host/tar.js';
import { runCli } from '../helpers/cli.js';
import { fixtureRoot, KVM_FIXTURE, makeTemp, removeTemp } from '../helpers/fixtures.js';

// Offline analysis of bundles: a good one built with GNU tar from a captured tree, and every
// kind of bad archive the issue lists, each refused with one clear line and exit 2.
let tmp: string;
beforeAll(() => {
  tmp = makeTemp('nvprobe-from-');
});
afterAll(() => removeTemp(tmp));

const MANIFEST = (v = 1) =>
  JSON.stringify({
    schemaVersion: v,
    kind: 'nvprobe.bundle',
    nvprobeVersion: '9.9.9',
    createdAt: '2026-01-01T00:00:00Z',
    hostToken: '00000000',
    redacted: true,
    collectMs: { withoutProbe: 1, total: 1 },
    limits: { maxBundleBytes: 5000000 },
    collectors: [],
  });
const manifestEntry = (v = 1): TarEntry => ({ kind: 'file', name: 'manifest.json', data: Buffer.from(MANIFEST(v)) });
let n = 0;
function archive(entries: TarEntry[]): string {
  const file = join(tmp, `a${n++}.tar.gz`);
  writeFileSync(file, gzipSync(writeTar(entries)));
  return file;
}

/** A bundle of the captured KVM tree, packed by GNU tar (so its symlinks are GNU tar's). */
function gnuBundle(): string {
  const dir = join(tmp, `gnu${n++}`);
  mkdirSync(dir);
  execFileSync('cp', ['-a', fixtureRoot(KVM_FIXTURE), join(dir, 'tree')]);
  writeFileSync(join(dir, 'manifest.json'), MANIFEST());
  const file = `${dir}.tar.gz`;
  execFileSync('tar', ['-czf', file, '-C', dir, 'manifest.json', 'tree']);
  return file;
}

async function refused(args: string[], message: RegExp): Promise<void> {
  const r = await runCli(args);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(/^nvprobe: [^\n]+\n(hint: [^\n]+\n)?$/);
  expect(r.stdout).toBe('');
}

describe('detect and check --from BUNDLE', () => {
  it('read a bundle packed by GNU tar exactly like --root on the same tree, and leave no temp dir behind', async () => {
    const file = gnuBundle();
    const tmpdir = join(tmp, 'TMPDIR');
    mkdirSync(tmpdir);
    const env = { ...process.env, TMPDIR: tmpdir };
    const from = await runCli(['detect', '--json', '--from', file], { env });
    expect(from.code, from.stderr).toBe(0);
    expect(JSON.parse(from.stdout)).toEqual(JSON.parse((await runCli(['detect', '--json', '--root', fixtureRoot(KVM_FIXTURE)])).stdout));
    const check = await runCli(['check', '--json', '--from', file], { env });
    expect(check.code).toBe(0);
    const doc = JSON.parse(check.stdout);
    expect(doc.from).toBe(file);
    expect(doc.findings).toEqual(JSON.parse((await runCli(['check', '--json', '--root', fixtureRoot(KVM_FIXTURE)])).stdout).findings);
    expect(readdirSync(tmpdir)).toEqual([]);
  });

  it('refuse a file that is not gzip, a truncated gzip, and a gzip that holds no tar', async () => {
    const text = join(tmp, 'notes.txt');
    writeFileSync(text, 'storage is slow in my VM\n');
    await refused(['check', '--from', text], /notes\.txt is not a gzip file/);
    const good = readFileSync(gnuBundle());
    const cut = join(tmp, 'cut.tar.gz');
    writeFileSync(cut, good.subarray(0, Math.floor(good.length / 2)));
    await refused(['check', '--from', cut], /cut\.tar\.gz is truncated or corrupt/);
    const garbage = join(tmp, 'garbage.tar.gz');
    writeFileSync(garbage, gzipSync(Buffer.alloc(4096, 'x')));
    await refused(['detect', '--from', garbage], /not a tar archive, or a corrupt one/);
    await refused(['detect', '--from', join(tmp, 'missing.tar.gz')], /missing\.tar\.gz: no such file/);
  });

  it('refuse members named with .. or an absolute path', async () => {
    await refused(['check', '--from', archive([manifestEntry(), { kind: 'file', name: 'tree/../../../etc/cron.d/x', data: Buffer.from('x') }])], /climbs out with '\.\.'/);
    await refused(['check', '--from', archive([manifestEntry(), { kind: 'file', name: '/etc/cron.d/x', data: Buffer.from('x') }])], /has an absolute path/);
  });

  it('refuse symlinks out of the root (GNU tar made), absolute ones, and chains that escape', async () => {
    const dir = join(tmp, 'esc');
    mkdirSync(join(dir, 'tree/sys'), { recursive: true });
    writeFileSync(join(dir, 'manifest.json'), MANIFEST());
    symlinkSync('../../../../etc', join(dir, 'tree/sys/block'));
    const file = join(tmp, 'esc.tar.gz');
    execFileSync('tar', ['-czf', file, '-C', dir, 'manifest.json', 'tree']);
    await refused(['check', '--from', file], /symlink "tree\/sys\/block" points outside the archive/);
    await refused(['check', '--from', archive([manifestEntry(), { kind: 'link', name: 'tree/proc', target: '/proc' }])], /points at the absolute path "\/proc"/);
    await refused(
      ['check', '--from', archive([manifestEntry(), { kind: 'link', name: 'tree/up', target: '..' }, { kind: 'link', name: 'tree/sys', target: 'up/../etc' }])],
      /"tree\/sys" points outside/,
    );
  });

  it('refuse device files (GNU tar of /dev/null)', async () => {
    const file = join(tmp, 'dev.tar.gz');
    execFileSync('tar', ['-czf', file, '-C', '/', 'dev/null']);
    await refused(['check', '--from', file], /member "dev\/null" is a device file/);
  });

  it('refuse oversized members and archives that unpack to too much (gzip bomb)', async () => {
    await refused(['check', '--from', archive([manifestEntry(), { kind: 'file', name: 'tree/big', data: Buffer.alloc(17 << 20) }])], /member "tree\/big" is 17825792 bytes, above the limit/);
    const bomb = join(tmp, 'bomb.tar.gz');
    writeFileSync(bomb, gzipSync(Buffer.alloc(130 << 20), { level: 9 }));
    expect(readFileSync(bomb).length).toBeLessThan(1 << 20);
    await refused(['check', '--from', bomb], /unpacks to more than 134217728 bytes: refused/);
  });

  it('refuse a bundle of a newer schema, one without a manifest, and --from with --root', async () => {
    await refused(['check', '--from', archive([manifestEntry(2), { kind: 'file', name: 'tree/proc/cmdline', data: Buffer.from('x\n') }])], /schema version 2, newer than this nvprobe reads \(1\)/);
    await refused(['detect', '--from', archive([{ kind: 'file', name: 'tree/proc/cmdline', data: Buffer.from('x\n') }])], /holds no manifest\.json: not an nvprobe bundle/);
    await refused(['detect', '--from', archive([manifestEntry()])], /holds no captured tree/);
    await refused(['check', '--from', gnuBundle(), '--root', fixtureRoot(KVM_FIXTURE)], /--root and --from both/);
  });
});

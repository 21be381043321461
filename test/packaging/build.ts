import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../helpers/cli.js';

export const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): Run {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 180_000, maxBuffer: 64 << 20, ...opts });
  if (r.error) throw r.error;
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Run and insist on exit 0, showing stderr otherwise. */
export function ok(cmd: string, args: string[], opts: SpawnSyncOptions = {}): string {
  const r = run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** packaging/<kind>/build.sh OUTDIR: the package file it printed last. */
export function buildPackage(kind: 'deb' | 'rpm', outDir: string): string {
  const lines = ok(join(REPO, 'packaging', kind, 'build.sh'), [outDir], { cwd: REPO })
    .trim()
    .split('\n');
  return lines[lines.length - 1]!;
}

/** Regular files and symlinks of a package payload, as absolute paths ("/usr/bin/nvprobe"). */
export function debPayload(deb: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of ok('dpkg-deb', ['-c', deb]).trim().split('\n')) {
    const cols = line.split(/\s+/);
    const perms = cols[0]!;
    if (perms.startsWith('d')) continue;
    out.set(cols[5]!.replace(/^\.\//, '/'), perms);
  }
  return out;
}

export function rpmPayload(rpm: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of ok('rpm', ['-qp', '--qf', '[%{FILEMODES:perms} %{FILENAMES}\n]', rpm]).trim().split('\n')) {
    const [perms, path] = line.split(' ') as [string, string];
    if (!perms.startsWith('d')) out.set(path, perms);
  }
  return out;
}

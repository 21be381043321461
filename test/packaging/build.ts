import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CliResult, REPO, type RunOptions, runCommand } from '../helpers/cli.js';

export const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

/** Run a command (awaited, not blocking the test worker); a failure to start is thrown. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return runCommand(cmd, args, { timeout: 180_000, ...opts });
}

/** Run and insist on exit 0, showing stderr otherwise. */
export async function ok(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** packaging/<kind>/build.sh OUTDIR: the package file it printed last. */
export async function buildPackage(kind: 'deb' | 'rpm', outDir: string): Promise<string> {
  const lines = (await ok(join(REPO, 'packaging', kind, 'build.sh'), [outDir], { cwd: REPO })).trim().split('\n');
  return lines[lines.length - 1]!;
}

/** Regular files and symlinks of a package payload, as absolute paths ("/usr/bin/nvprobe"). */
export async function debPayload(deb: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const line of (await ok('dpkg-deb', ['-c', deb])).trim().split('\n')) {
    const cols = line.split(/\s+/);
    const perms = cols[0]!;
    if (perms.startsWith('d')) continue;
    out.set(cols[5]!.replace(/^\.\//, '/'), perms);
  }
  return out;
}

export async function rpmPayload(rpm: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const line of (await ok('rpm', ['-qp', '--qf', '[%{FILEMODES:perms} %{FILENAMES}\n]', rpm])).trim().split('\n')) {
    const [perms, path] = line.split(' ') as [string, string];
    if (!perms.startsWith('d')) out.set(path, perms);
  }
  return out;
}

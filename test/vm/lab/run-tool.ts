import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

/** Run a host tool to completion; throw with its stderr when it fails. Returns stdout. */
export function runTool(cmd: string, args: string[], opts: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    const stderr = String(r.stderr ?? '').trim();
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}${stderr ? `: ${stderr}` : ''}`);
  }
  return String(r.stdout ?? '');
}

/** Whether a program is on PATH (without running it). */
export function hasTool(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

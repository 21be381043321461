import { spawnSync } from 'node:child_process';
import { type RunOptions, runCommand } from '../../helpers/cli.js';

/**
 * Run a host tool to completion; throw with its stderr when it fails. Resolves to stdout. Awaited,
 * so that a download or an image build never blocks the test worker (see test/setup/blocked-loop.ts).
 */
export async function runTool(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await runCommand(cmd, args, { timeout: 600_000, ...opts }).catch((err: Error) => {
    throw new Error(`${cmd}: ${err.message}`);
  });
  if (r.code !== 0) {
    const stderr = r.stderr.trim();
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.code ?? r.signal}${stderr ? `: ${stderr}` : ''}`);
  }
  return r.stdout;
}

/** Whether a program is on PATH (without running it). */
export function hasTool(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

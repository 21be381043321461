// Running nvprobe as an unprivileged user (nobody) from a root test run. The checkout may be
// private (a 0700 clone in /root): nobody cannot traverse it, so these tests run the copy of the
// built CLI that the suite's global setup makes (cli-copy.ts). Paths the tests pass must be readable
// by nobody too (temp dirs chmod 755, not the checkout).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { inject, type TestContext } from 'vitest';
import { type CliResult, type RunOptions, runCommand } from './cli.js';

const SETPRIV = ['--reuid=65534', '--regid=65534', '--clear-groups'];

declare module 'vitest' {
  export interface ProvidedContext {
    /** bin/nvprobe of the world-readable copy (empty when the copy could not be made). */
    unprivilegedNvprobe: string;
  }
}

/**
 * Run the CLI copy as nobody (setpriv), in the copy's dir (a cwd nobody can enter). Skips the test, with
 * the reason, where that cannot be done: not root (cannot switch users), no setpriv, no copy.
 */
export function asNobody(ctx: TestContext): { nvprobe: string; run(args: string[], opts?: RunOptions): Promise<CliResult> } {
  if (process.getuid?.() !== 0) ctx.skip('not root: cannot run nvprobe as another, unprivileged user');
  if (spawnSync('setpriv', ['--version']).status !== 0) ctx.skip('setpriv (util-linux) is not installed');
  const nvprobe = inject('unprivilegedNvprobe');
  if (!nvprobe) throw new Error('the world-readable copy of the CLI was not made (see the global setup)');
  const cwd = join(nvprobe, '../..');
  return {
    nvprobe,
    run: (args, opts = {}) => runCommand('setpriv', [...SETPRIV, nvprobe, ...args], { cwd, ...opts }),
  };
}

// Which external commands this machine has, so that a test that needs one it lacks skips and says
// why (test/system-deps.sh installs them for `npm test` where it can).
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'vitest';

/** The commands of `names` that are not on PATH. */
export function missingCommands(names: string[]): string[] {
  return names.filter((n) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', n]).status !== 0);
}

/** Skip the test, naming what is missing and what it is for, unless every command is there. */
export function needCommands(ctx: TestContext, names: string[], forWhat: string): void {
  const missing = missingCommands(names);
  if (missing.length > 0) ctx.skip(`${missing.join(', ')} not installed (needed ${forWhat}; test/system-deps.sh installs it as root)`);
}

// What every bad input must give: an answer within 10 s (never a hang), one `nvprobe:` line plus
// at most a `hint:` line on stderr, no stack trace, and the documented exit code.
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { type CliResult, type RunOptions, runCli } from './cli.js';

export function mkfifo(p: string): void {
  expect(spawnSync('mkfifo', [p]).status).toBe(0);
}

/** Run the CLI with a 10 s limit and fail if it hung. */
export async function runBounded(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  const t0 = Date.now();
  const r = await runCli(args, { timeout: 10_000, ...opts });
  expect(r.signal, `${args.join(' ')} hung`).toBeNull();
  expect(Date.now() - t0).toBeLessThan(10_000);
  return r;
}

export async function expectError(args: string[], code: number, pattern: RegExp, opts: RunOptions = {}): Promise<void> {
  const r = await runBounded(args, opts);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/internal error|this is a bug|\n\s+at /);
  const lines = r.stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^nvprobe: /);
  expect(lines.length).toBeLessThanOrEqual(2);
  expect(r.code).toBe(code);
}

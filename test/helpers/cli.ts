import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const NVPROBE = fileURLToPath(new URL('../../bin/nvprobe', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to the child's stdin, which is then closed (without it stdin is /dev/null). */
  input?: string;
  /** A file descriptor the child writes its stdout to, instead of a pipe the result captures. */
  stdoutFd?: number;
  /** SIGTERM after this many ms, as spawnSync's timeout. Default 120 s. */
  timeout?: number;
}

/**
 * Run a command and wait for it without blocking the test worker: its event loop keeps answering
 * vitest's RPC (a spawnSync of tens of seconds fails the whole run, see test/setup/blocked-loop.ts)
 * and testTimeout still applies. Like spawnSync, a failure to start is thrown.
 */
export function runCommand(cmd: string, args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', opts.stdoutFd ?? 'pipe', 'pipe'],
      env: opts.env,
      cwd: opts.cwd,
      timeout: opts.timeout ?? 120_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Run the built CLI (npm test builds first) as a user would. As nobody: unprivileged.ts. */
export function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return runCommand(NVPROBE, args, opts);
}

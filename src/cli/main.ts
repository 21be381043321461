import { CommanderError } from 'commander';
import { ExitCode, NvprobeError } from '../errors.js';
import { terminalSafeLine } from '../report/terminal-safe.js';
import { buildProgram } from './program.js';

/** Run the CLI; resolves to the process exit code. Never lets a user mistake become a stack trace. */
export async function main(argv: string[]): Promise<number> {
  let stdoutError: NodeJS.ErrnoException | undefined;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // `nvprobe ... | head` closes the pipe early: that is the reader's choice, not an error.
    if (err.code === 'EPIPE') process.exit(0);
    stdoutError ??= err; // ENOSPC (> /dev/full), EIO: the output is lost, and the exit code must say so
  });
  const program = buildProgram();
  let code: number;
  try {
    await program.parseAsync(argv);
    code = typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (err) {
    code = reportError(err);
  }
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  if (stdoutError) {
    process.stderr.write(`nvprobe: cannot write to standard output: ${stdoutError.code ?? stdoutError.message}; the output is lost\n`);
    return ExitCode.failure;
  }
  return code;
}

/** Filesystem failures that are the machine's state, not a bug (their text for the one line). */
const STORAGE_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  EROFS: 'the filesystem is read-only',
  EFBIG: 'file too large',
};

export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed its own one-line message (or help/version) to stderr/stdout.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return ExitCode.ok;
    return ExitCode.usage;
  }
  // Messages quote paths, file contents and rule texts: escaped, one line each.
  if (err instanceof NvprobeError) {
    process.stderr.write(`nvprobe: ${terminalSafeLine(err.message)}\n`);
    if (err.hint) process.stderr.write(`hint: ${terminalSafeLine(err.hint)}\n`);
    return err.exitCode;
  }
  // The machine, not nvprobe: a full or failing filesystem is one line and exit 1, not a bug report.
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code && code in STORAGE_ERRORS) {
    const e = err as NodeJS.ErrnoException;
    const where = e.path ? ` ${e.path}` : '';
    process.stderr.write(`nvprobe: ${e.syscall ?? 'an operation'}${terminalSafeLine(where)} failed: ${STORAGE_ERRORS[code]} (${code}); nothing further was done\n`);
    process.stderr.write('hint: free space (or fix the filesystem) where nvprobe writes, then run nvprobe status\n');
    return ExitCode.failure;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`nvprobe: internal error: ${terminalSafeLine(message)}\n`);
  process.stderr.write('hint: this is a bug in nvprobe; rerun with NVPROBE_DEBUG=1 for details and report it\n');
  if (process.env.NVPROBE_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return ExitCode.failure;
}

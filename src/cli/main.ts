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
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`nvprobe: internal error: ${terminalSafeLine(message)}\n`);
  process.stderr.write('hint: this is a bug in nvprobe; rerun with NVPROBE_DEBUG=1 for details and report it\n');
  if (process.env.NVPROBE_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return ExitCode.failure;
}

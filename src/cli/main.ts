import { CommanderError } from 'commander';
import { ExitCode, NvprobeError } from '../errors.js';
import { buildProgram } from './program.js';

/** Run the CLI; resolves to the process exit code. Never lets a user mistake become a stack trace. */
export async function main(argv: string[]): Promise<number> {
  // `nvprobe ... | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (err) {
    return reportError(err);
  }
}

export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed its own one-line message (or help/version) to stderr/stdout.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return ExitCode.ok;
    return ExitCode.usage;
  }
  if (err instanceof NvprobeError) {
    process.stderr.write(`nvprobe: ${err.message}\n`);
    if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`nvprobe: internal error: ${message}\n`);
  process.stderr.write('hint: this is a bug in nvprobe; rerun with NVPROBE_DEBUG=1 for details and report it\n');
  if (process.env.NVPROBE_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return ExitCode.failure;
}

import { Command } from 'commander';
import { registerCheck } from './check-command.js';
import { registerCollect } from './collect-command.js';
import { registerDetect } from './detect-command.js';
import { registerProbe } from './probe-command.js';
import { registerReport } from './report-command.js';
import { registerRevert, registerStatus } from './revert-command.js';
import { registerRules } from './rules-command.js';
import { registerSnapshot } from './snapshot-command.js';
import { registerTune } from './tune-command.js';
import { nvprobeVersion } from './version.js';

const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  runtime failure (I/O error, device vanished, internal error)
  2  usage error or bad input (nothing was changed)
  3  needs root (rerun as root, e.g. with sudo)
  4  partially applied: some actions failed and this run's changes were reverted
  5  check --strict: something is recommended (not measured here as no gain) or advised`;

export function buildProgram(): Command {
  const program = new Command('nvprobe')
    .description('Measure, explain and tune queue-depth-1 storage latency inside a Linux guest VM')
    .version(nvprobeVersion(), '-V, --version')
    .addHelpText('after', EXIT_CODES_HELP)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      outputError: (str, write) => write(str.replace(/^error: /, 'nvprobe: ')),
    });
  // Each command file adds itself; subcommands inherit error handling and exit codes.
  for (const register of [registerProbe, registerDetect, registerSnapshot, registerCheck, registerRules, registerTune, registerRevert, registerStatus, registerCollect, registerReport]) {
    const cmd = register(program);
    cmd.exitOverride().addHelpText('after', EXIT_CODES_HELP);
    cmd.configureOutput({ outputError: (str: string, write: (s: string) => void) => write(str.replace(/^error: /, 'nvprobe: ')) });
  }
  return program;
}

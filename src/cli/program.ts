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
import { registerVerify } from './verify-command.js';
import { nvprobeVersion } from './version.js';
import { setQuiet } from './output.js';
import { registerVersion } from './version-command.js';

const EXIT_CODES: Record<number, string> = {
  0: 'success',
  1: 'runtime failure (I/O error, device vanished, output could not be written, internal error)',
  2: 'usage error or bad input (nothing was changed)',
  3: 'needs root (rerun as root, e.g. with sudo)',
  4: "partially applied: some actions failed and this run's changes were reverted",
  5: 'check --strict: something is recommended (not measured here as no gain) or advised',
  6: 'status: a setting nvprobe applied has drifted (its live value differs)',
  7: 'reboot required: tune --persist wrote changes that take effect at the next boot (a verification is armed; status says so too; verify before that boot judges nothing)',
  8: 'verify: the changes of the last tune --persist did not take effect or did not help after the reboot; they were reverted',
  130: "interrupted (Ctrl-C; 143 for SIGTERM): a tune run's changes were put back",
};

const EXIT_CODES_HELP = `
Exit codes:
${Object.entries(EXIT_CODES)
  .map(([code, text]) => `  ${code.padStart(3)}  ${text}`)
  .join('\n')}

Environment:
  NVPROBE_STATE_DIR  where tune, revert, status and collect keep and read the journal, lock and
                     saved runs (default /var/lib/nvprobe; --state-dir overrides it)
  NVPROBE_DEBUG=1    print a stack trace with an internal error
  NVPROBE_REBOOT_COMMAND  the command tune --reboot and verify run to reboot (default: systemctl
                     reboot, or reboot without systemd); for test harnesses`;

/** The codes each command can return; the full table is in `nvprobe --help`. */
const COMMAND_EXIT_CODES: Record<string, number[]> = {
  probe: [0, 1, 2, 3, 130],
  detect: [0, 1, 2],
  snapshot: [0, 1, 2],
  check: [0, 1, 2, 5],
  rules: [0, 1, 2],
  tune: [0, 1, 2, 3, 4, 7, 130],
  verify: [0, 1, 2, 3, 7, 8],
  revert: [0, 1, 2, 3, 4],
  status: [0, 1, 2, 3, 6, 7, 8],
  collect: [0, 1, 2, 130],
  report: [0, 1, 2],
  version: [0],
};

const SHORT: Record<number, string> = {
  0: 'ok',
  1: 'runtime failure',
  2: 'bad input',
  3: 'needs root',
  4: 'partially applied or not all put back',
  5: 'findings (--strict)',
  6: 'drifted',
  7: 'reboot required',
  8: 'verification failed',
  130: 'interrupted',
};

function commandExitHelp(name: string): string {
  const codes = COMMAND_EXIT_CODES[name] ?? [0, 1, 2];
  return `\nExit codes: ${codes.map((c) => `${c} ${SHORT[c]}`).join(', ')} (all of them: nvprobe --help)`;
}

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
  for (const register of [
    registerProbe,
    registerDetect,
    registerSnapshot,
    registerCheck,
    registerRules,
    registerTune,
    registerVerify,
    registerRevert,
    registerStatus,
    registerCollect,
    registerReport,
    registerVersion,
  ]) {
    const cmd = register(program);
    cmd.option('-q, --quiet', 'print no text, progress or notes: only errors, and the JSON document with --json (the exit code says how it went)');
    cmd.hook('preAction', (_cmd, action) => setQuiet(!!action.optsWithGlobals().quiet));
    cmd.exitOverride().addHelpText('after', commandExitHelp(cmd.name()));
    cmd.configureOutput({ outputError: (str: string, write: (s: string) => void) => write(str.replace(/^error: /, 'nvprobe: ')) });
  }
  return program;
}

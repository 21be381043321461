import type { Command } from 'commander';
import { archConstants } from '../native/arch.js';
import { usageError } from '../errors.js';
import { parseCount, parseDuration } from './parse-options.js';
import { FALSE_KEEP_RATE, LOOKS } from '../tune/decision.js';
import type { TuneSettings } from '../tune/tune-run.js';
import { DEFAULT_MAX_IDLE_POLL_PERCENT } from '../tune/poll-cost.js';

export interface TuneFlags {
  dryRun?: boolean;
  yes?: boolean;
  persist?: boolean;
  reboot?: boolean;
  budget: string;
  round: string;
  maxBlocks: string;
  maxIdlePoll: string;
  json?: boolean;
  rules?: string;
  stateDir?: string;
  size?: string;
  only?: string;
  trace: boolean;
}

export function registerTune(program: Command): Command {
  return program
    .command('tune')
    .description('apply the recommended guest changes one by one, measure each against the old value, keep only what measurably helps')
    .argument('[target]', "what to measure on (default: the root filesystem's disk, or a scratch file on it)")
    .option('--dry-run', 'show the plan and change nothing (works without root)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--persist', 'also write the kept changes so that they survive a reboot (modprobe.d, udev, kernel command line)')
    .option('--reboot', 'with --persist: reboot when a change takes effect only after a reboot; at the next boot `nvprobe verify` measures it against the saved baseline and keeps or reverts it')
    .option('--budget <time>', 'upper bound on the whole run, e.g. 20s for boot-time use', '60s')
    .option('--round <time>', 'length of one measurement round (a block is four: A B B A or B A A B)', '150ms')
    .option('--max-blocks <n>', `at most this many blocks per change; the test looks after ${LOOKS.join(', ')} and stops when it can decide`, String(LOOKS[LOOKS.length - 1]))
    .option('--max-idle-poll <percent>', 'keep no polling setting that spins an idle vCPU more than this share of its time (0 to 100; "none": no cap)', String(DEFAULT_MAX_IDLE_POLL_PERCENT))
    .option('--size <size>', 'span of the target to read (scratch file size: 512M)')
    .option('--only <ids>', 'only these rules or findings (comma-separated ids, e.g. scheduler-not-none)')
    .option('--rules <dir>', 'also load the rules in DIR')
    .option('--state-dir <dir>', 'where the journal, lock and saved runs live (default /var/lib/nvprobe, or NVPROBE_STATE_DIR; never on procfs/sysfs)', undefined)
    .option('--no-trace', 'skip the kernel-clock (ftrace) measurements of the baseline and the result (per-phase before/after)')
    .option('--json', 'print one JSON document (schemaVersion) with the plan and the results')
    .action(async (target: string | undefined, flags: TuneFlags) => {
      const { parseSize } = await import('./parse-options.js');
      const settings: TuneSettings = {
        target,
        dryRun: !!flags.dryRun,
        yes: !!flags.yes,
        persist: !!flags.persist,
        reboot: !!flags.reboot,
        budgetMs: parseDuration(flags.budget, '--budget'),
        roundMs: parseDuration(flags.round, '--round'),
        maxBlocks: parseMaxBlocks(flags.maxBlocks),
        maxIdlePollShare: parseIdlePollCap(flags.maxIdlePoll),
        json: !!flags.json,
        rulesDir: flags.rules,
        stateDir: flags.stateDir,
        spanLimit: flags.size !== undefined ? parseSize(flags.size, '--size') : undefined,
        only: flags.only === undefined ? undefined : parseOnly(flags.only),
        trace: flags.trace !== false,
      };
      if (settings.reboot && !settings.persist) throw usageError('--reboot needs --persist: only persisted changes need a reboot', 'add --persist (or drop --reboot)');
      archConstants();
      const [{ runTune }, { confirmTunePlan }, { printTuneReport }, { startProgress }, { loadRulesOrFail }, { nvprobeVersion }, { printErrorLine }] = await Promise.all([
        import('../tune/tune-run.js'),
        import('./tune-confirm.js'),
        import('./tune-output.js'),
        import('./progress.js'),
        import('./rules-loading.js'),
        import('./version.js'),
        import('./output.js'),
      ]);
      process.exitCode = await runTune(settings, {
        nvprobeVersion: nvprobeVersion(),
        loadRules: loadRulesOrFail,
        confirm: confirmTunePlan,
        startProgress: () => startProgress(!settings.json),
        show: (report) => printTuneReport(report, settings.json),
        warn: printErrorLine,
      });
    });
}

/** --max-blocks: at least the first look's count, or no change could ever be decided. */
function parseMaxBlocks(text: string): number {
  const n = parseCount(text, '--max-blocks');
  if (n < LOOKS[0]) throw usageError(`--max-blocks ${n} is below ${LOOKS[0]}, the fewest blocks that can show a gain at a ${FALSE_KEEP_RATE * 100} % false-keep rate`, `give ${LOOKS[0]} or more`);
  return n;
}

/** --max-idle-poll: a percentage of a vCPU, or "none". */
function parseIdlePollCap(text: string): number | null {
  if (text.trim().toLowerCase() === 'none') return null;
  const t = text.trim().replace(/\s*%$/, '');
  const n = /^\d+(\.\d+)?$/.test(t) ? Number(t) : Number.NaN;
  if (!(n >= 0 && n <= 100)) throw usageError(`--max-idle-poll '${text}' is not a percentage from 0 to 100`, `e.g. --max-idle-poll ${DEFAULT_MAX_IDLE_POLL_PERCENT} (the default), or none`);
  return n / 100;
}

/** --only's ids; none at all (`--only ''`, `--only ,`) is a slip that would quietly tune nothing. */
function parseOnly(text: string): string[] {
  const ids = text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  if (!ids.length) throw usageError(`--only needs at least one rule or finding id, not '${text}'`, 'see `nvprobe check --all` for the ids, or leave --only out');
  return ids;
}

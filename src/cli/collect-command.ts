import type { Command } from 'commander';
import { ExitCode } from '../errors.js';

interface CollectOptions {
  output?: string;
  probe: boolean;
  redact: boolean;
  probeDuration: string;
  stateDir?: string;
  force?: boolean;
  json?: boolean;
  caseId?: string;
}

export function registerCollect(program: Command): Command {
  return program
    .command('collect')
    .description('write a diagnostics bundle (.tar.gz, mode 0600) for support: snapshot tree, detect, check, a short probe, tune runs, kernel log; identifiers redacted')
    .option('-o, --output <file>', 'bundle to write (default: nvprobe-<host-token>-<date>-<random>.tar.gz here)')
    .option('--no-probe', 'do not measure (no probe.json)')
    .option('--probe-duration <time>', 'how long the probe measures', '3s')
    .option('--no-redact', 'keep hostnames, addresses, serials, UUIDs and user names as they are (no map file)')
    .option('--state-dir <dir>', 'where tune keeps its runs and journal (default /var/lib/nvprobe, or NVPROBE_STATE_DIR)')
    .option('--case-id <id>', "the support case this bundle is for: in its file name and manifest (letters, digits, '.', '_', '-')")
    .option('--force', 'replace an existing output file')
    .option('--json', 'print what was written as one JSON document')
    .action(async (opts: CollectOptions) => {
      const { parseDuration } = await import('./parse-options.js');
      const probeMs = parseDuration(opts.probeDuration, '--probe-duration');
      const { CASE_ID } = await import('../bundle/bundle-identity.js');
      if (opts.caseId !== undefined && !CASE_ID.test(opts.caseId)) {
        const { usageError } = await import('../errors.js');
        throw usageError(`--case-id ${JSON.stringify(opts.caseId)} is not a case id`, "use letters, digits, '.', '_' and '-' (at most 64), starting with a letter or digit");
      }
      const [{ collectBundle }, { printCollectOutcome }, { startProgress }, { loadRulesOrFail }, { nvprobeVersion }] = await Promise.all([
        import('../bundle/collect.js'),
        import('./collect-output.js'),
        import('./progress.js'),
        import('./rules-loading.js'),
        import('./version.js'),
      ]);
      const outcome = await collectBundle(
        { output: opts.output, probe: opts.probe, probeMs, redact: opts.redact, stateDir: opts.stateDir, caseId: opts.caseId, force: !!opts.force },
        { nvprobeVersion: nvprobeVersion(), loadRules: () => loadRulesOrFail(), startProgress: () => startProgress(!opts.json) },
      );
      printCollectOutcome(outcome, !!opts.json);
      process.exitCode = ExitCode.ok;
    });
}

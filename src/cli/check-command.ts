import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import type { Finding, FindingStatus } from '../rules/types.js';
import { printJson, printText } from './output.js';

interface CheckOptions {
  root?: string;
  from?: string;
  rules?: string;
  json?: boolean;
  strict?: boolean;
  all?: boolean;
  verbose?: boolean;
}

export const CHECK_SCHEMA_VERSION = 1;

/** The JSON document of `check --json`, also stored as check.json in a bundle. */
export interface CheckDocument {
  schemaVersion: typeof CHECK_SCHEMA_VERSION;
  kind: 'nvprobe.check';
  nvprobeVersion: string;
  createdAt: string;
  root: string | null;
  /** The bundle analysed (`--from`), if any. */
  from?: string;
  rules: { count: number; files: string[] };
  summary: Record<FindingStatus, number>;
  findings: Finding[];
}

export function registerCheck(program: Command): Command {
  return program
    .command('check')
    .description('evaluate the rules on this guest: what to change inside it, and what to ask the host admin for')
    .option('--root <dir>', 'check a captured tree (DIR/sys, DIR/proc) instead of this machine')
    .option('--from <bundle>', 'check the tree inside a bundle written by `nvprobe collect`')
    .option('--rules <dir>', 'also load the rules in DIR (validated like the built-in ones)')
    .option('--json', 'print one JSON document (schemaVersion) with every finding')
    .option('--strict', `exit ${ExitCode.findings} when anything is recommended or advised`)
    .option('--all', 'also list rules that do not apply here')
    .option('--verbose', 'show references')
    .action(async (opts: CheckOptions) => {
      const [{ openRootOrBundle }, { detectSnapshot }, { evaluateRules }, { loadRulesOrFail }, { renderFindingsText, countByStatus }, { nvprobeVersion }] = await Promise.all([
        import('./from-bundle.js'),
        import('../detect/snapshot.js'),
        import('../rules/evaluate.js'),
        import('./rules-loading.js'),
        import('../report/findings-text.js'),
        import('./version.js'),
      ]);
      const root = openRootOrBundle(opts);
      const loaded = loadRulesOrFail(opts.rules);
      const findings = evaluateRules(detectSnapshot(root), loaded.rules);
      const counts = countByStatus(findings);
      if (opts.json) {
        const doc: CheckDocument = {
          schemaVersion: CHECK_SCHEMA_VERSION,
          kind: 'nvprobe.check',
          nvprobeVersion: nvprobeVersion(),
          createdAt: new Date().toISOString(),
          root: opts.root ?? null,
          ...(opts.from ? { from: opts.from } : {}),
          rules: { count: loaded.rules.length, files: loaded.files },
          summary: counts,
          findings,
        };
        printJson(doc);
      } else {
        printText(renderFindingsText(findings, { showAll: !!opts.all, verbose: !!opts.verbose }));
      }
      process.exitCode = opts.strict && counts.recommend + counts.advise > 0 ? ExitCode.findings : ExitCode.ok;
    });
}

import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { CHECK_SCHEMA_VERSION, type CheckDocument } from '../contracts/check-document.js';
import { printJson, printText } from './output.js';
import { inlineStrings } from '../report/terminal-safe.js';

interface CheckOptions {
  root?: string;
  from?: string;
  rules?: string;
  json?: boolean;
  strict?: boolean;
  stateDir?: string;
  all?: boolean;
  verbose?: boolean;
}

export function registerCheck(program: Command): Command {
  return program
    .command('check')
    .description('evaluate the rules on this guest: what to change inside it, and what to ask the host admin for')
    .option('--root <dir>', 'check a captured tree (DIR/sys, DIR/proc) instead of this machine')
    .option('--from <bundle>', 'check the tree inside a bundle written by `nvprobe collect`')
    .option('--rules <dir>', 'also load the rules in DIR (validated like the built-in ones)')
    .option('--state-dir <dir>', "where tune saved its runs, to show each change's measured verdict (default: tune's state dir; with --root none, with --from the bundle's, unless given)")
    .option('--json', 'print one JSON document (schemaVersion) with every finding')
    .option('--strict', `exit ${ExitCode.findings} when anything is recommended (and not measured here as no gain) or advised`)
    .option('--all', 'also list rules that do not apply here')
    .option('--verbose', 'show references')
    .action(async (opts: CheckOptions) => {
      const [
        { openInput },
        { detectSnapshot },
        { evaluateRules },
        { loadRulesOrFail },
        { renderFindingsText },
        { nvprobeVersion },
        { existingStateDir },
        { readRuns },
        { attachVerdicts, countByStatus, latestVerdicts },
      ] = await Promise.all([
        import('./from-bundle.js'),
        import('../detect/snapshot.js'),
        import('../rules/evaluate.js'),
        import('./rules-loading.js'),
        import('../report/findings-text.js'),
        import('./version.js'),
        import('../host/state-dir.js'),
        import('../host/run-store.js'),
        import('../tune/verdicts.js'),
      ]);
      // Verdicts belong to the machine that ran tune: a captured tree or bundle is another machine
      // (or this one at another time), so the local state dir is read for it only when given; a
      // bundle brings its own machine's saved runs.
      const offline = opts.root !== undefined || opts.from !== undefined;
      const given = offline && opts.stateDir === undefined ? null : existingStateDir(opts.stateDir);
      const { root, bundleStateDir } = openInput(opts);
      const state = given ?? bundleStateDir;
      const loaded = loadRulesOrFail(opts.rules);
      const verdicts = latestVerdicts(state ? readRuns(state) : []);
      const findings = attachVerdicts(evaluateRules(detectSnapshot(root), loaded.rules), verdicts);
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
        printText(renderFindingsText(inlineStrings(findings), { showAll: !!opts.all, verbose: !!opts.verbose }));
      }
      process.exitCode = opts.strict && counts.recommend + counts.advise > 0 ? ExitCode.findings : ExitCode.ok;
    });
}

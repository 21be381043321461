import type { Command } from 'commander';
import { RULES_SCHEMA_VERSION, type RulesDocument } from '../contracts/rules-document.js';
import { ExitCode, usageError } from '../errors.js';
import type { Condition } from '../contracts/rule-types.js';
import { printErrorLine, printJson, printText } from './output.js';
import { inlineText } from '../report/terminal-safe.js';

interface RulesOptions {
  rules?: string;
  json?: boolean;
}

/** A parsed condition back in the form rule files use (`field` plus the comparison as key). */
function asWritten(c: Condition): unknown {
  if ('all' in c) return { all: c.all.map(asWritten) };
  if ('any' in c) return { any: c.any.map(asWritten) };
  if ('not' in c) return { not: asWritten(c.not) };
  return { field: c.field, [c.op]: c.value };
}

export function registerRules(program: Command): Command {
  const rules = program.command('rules').description('list, show and validate the rules nvprobe check evaluates');
  rules
    .command('list')
    .description('every loaded rule: id, scope, severity, title')
    .option('--rules <dir>', 'also load the rules in DIR')
    .option('--json', 'print the rules as JSON')
    .action(async (opts: RulesOptions) => {
      const { loadRulesOrFail } = await import('./rules-loading.js');
      const loaded = loadRulesOrFail(opts.rules);
      if (opts.json) {
        printJson({ schemaVersion: RULES_SCHEMA_VERSION, kind: 'nvprobe.rules', rules: loaded.rules } satisfies RulesDocument);
        return;
      }
      const width = Math.max(...loaded.rules.map((r) => r.id.length));
      for (const r of loaded.rules) printText(`${r.id.padEnd(width)}  ${r.scope.padEnd(7)}  ${r.severity.padEnd(6)}  ${inlineText(r.title)}\n`);
    });
  rules
    .command('show')
    .description('one rule in full')
    .argument('<id>', 'rule id (see `nvprobe rules list`)')
    .option('--rules <dir>', 'also load the rules in DIR')
    .option('--json', 'print the rule as JSON')
    .action(async (id: string, opts: RulesOptions) => {
      const { loadRulesOrFail } = await import('./rules-loading.js');
      const rule = loadRulesOrFail(opts.rules).rules.find((r) => r.id === id);
      if (!rule) throw usageError(`no rule with id '${id}'`, 'see `nvprobe rules list`');
      if (opts.json) {
        printJson(rule);
        return;
      }
      const { stringify } = await import('yaml');
      const { file, applies, check, ...rest } = rule;
      // Printed as a rules file `rules validate` accepts: a copy to edit into a rule of your own.
      const written = Object.fromEntries(
        Object.entries({ ...rest, applies: asWritten(applies), check: asWritten(check) }).filter(([k, v]) => v !== null && v !== undefined && !(k === 'prerequisite' && v === false)),
      );
      const topic = (file.split('/').at(-1) ?? 'rules').replace(/\.ya?ml$/, '');
      printText(`# from ${file} (give it a new id before loading it beside that file)\n${stringify({ topic, rules: [written] }, { lineWidth: 100 })}`);
    });
  rules
    .command('validate')
    .description('check rule files (default: the built-in and local rules); every problem on its own line')
    .argument('[path...]', 'rule files or directories')
    .action(async (paths: string[]) => {
      const { loadRules, defaultRuleDirs, formatRuleError } = await import('../rules/load.js');
      // Files given by path are checked against the built-in and local rules too: check loads them all.
      const loaded = paths.length ? loadRules(paths, loadRules(defaultRuleDirs()).rules) : loadRules(defaultRuleDirs());
      for (const e of loaded.errors) printErrorLine(`nvprobe: ${formatRuleError(e)}`);
      const bad = new Set(loaded.errors.map((e) => e.file)).size;
      printText(`${loaded.rules.length} ${loaded.rules.length === 1 ? 'rule' : 'rules'} valid in ${loaded.files.length - bad} file(s)${bad ? `; ${bad} file(s) refused` : ''}\n`);
      process.exitCode = loaded.errors.length ? ExitCode.usage : ExitCode.ok;
    });
  return rules;
}

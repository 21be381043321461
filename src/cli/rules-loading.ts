import { usageError } from '../errors.js';
import { defaultRuleDirs, formatRuleError, loadRules, type LoadedRules } from '../rules/load.js';

/** Load built-in, local and --rules rules; any invalid file stops the command (exit 2). */
export function loadRulesOrFail(extraDir?: string): LoadedRules {
  const loaded = loadRules(defaultRuleDirs(extraDir));
  if (loaded.errors.length) {
    const more = loaded.errors.length - 1;
    throw usageError(
      `${formatRuleError(loaded.errors[0]!)}${more ? ` (and ${more} more problem${more > 1 ? 's' : ''})` : ''}`,
      'no rule from an invalid file is used; `nvprobe rules validate PATH` lists every problem',
    );
  }
  return loaded;
}

import type { Rule } from './rule-types.js';

export const RULES_SCHEMA_VERSION = 1;

/** The JSON document of `rules list --json`. */
export interface RulesDocument {
  schemaVersion: typeof RULES_SCHEMA_VERSION;
  kind: 'nvprobe.rules';
  rules: Rule[];
}

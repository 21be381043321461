import { modulePresence } from '../../detect/kernel-modules.js';
import type { Root } from '../../host/root.js';

/**
 * Is a module built into the running kernel or loadable? It decides where a module parameter
 * persists: /etc/modprobe.d is read by modprobe when it loads a module, so it does nothing for a
 * built-in one, whose parameters come only from the kernel command line (`module.param=value`).
 */
export type ModuleBuildKind =
  /** Part of the kernel image: parameters only on the kernel command line. */
  | 'builtin'
  /** A .ko that modprobe loads: /etc/modprobe.d applies (and so does the command line). */
  | 'loadable'
  /** Neither could be established (not loaded, no modules.builtin to consult). */
  | 'unknown';

export interface ModuleBuild {
  kind: ModuleBuildKind;
  /** Which file said so, for the plan's description. */
  evidence: string;
}

export { listedModules, moduleName, modulesDir } from '../../detect/kernel-modules.js';

/** Where a module parameter persists: built in → kernel command line; loadable → /etc/modprobe.d. */
export function moduleBuild(root: Root, module: string): ModuleBuild {
  const p = modulePresence(root, module);
  if (p.kind === 'builtin') return { kind: 'builtin', evidence: p.evidence };
  if (p.kind === 'module') return { kind: 'loadable', evidence: p.evidence };
  return { kind: 'unknown', evidence: p.evidence };
}

import { modulePresence, moduleName } from '../detect/kernel-modules.js';
import type { Root } from '../host/root.js';
import type { ResolvedAction } from '../contracts/actions.js';
import { sameValue, type RuntimeKnob } from './knob.js';

/**
 * Load a module with one parameter at runtime: `modprobe cpuidle-haltpoll force=1` brings up the
 * haltpoll cpuidle driver where it is a loadable module that declined (or was not loaded) at boot.
 * Read as the parameter's value while loaded ("Y"), `unloaded` otherwise; the journaled inverse
 * unloads it (`modprobe -r`) and puts the cpuidle governor back.
 */
export const UNLOADED = 'unloaded';

const paramPath = (a: ResolvedAction) => `/sys/module/${moduleName(a.module!)}/parameters/${a.param}`;

function readLoaded(root: Root, a: ResolvedAction): string | null {
  const p = modulePresence(root, a.module!);
  if (p.kind === 'module' && p.loaded === false) return UNLOADED;
  if (p.loaded === null) return null;
  return root.attr(paramPath(a)) ?? (p.loaded ? 'loaded' : UNLOADED);
}

export const moduleLoadKnob: RuntimeKnob = {
  paths: (_root, a) => [`/sys/module/${moduleName(a.module!)}`],
  read: (root, a) => [readLoaded(root, a)],
  writes: (_root, a, value = a.value) => [{ op: 'module', module: moduleName(a.module!), load: true, params: [`${a.param}=${String(value)}`] }],
  verify(root, a, value = a.value) {
    const v = readLoaded(root, a);
    return v !== null && v !== UNLOADED && sameValue(v, value);
  },
};

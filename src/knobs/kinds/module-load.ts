import { modulePresence, moduleName } from '../../detect/kernel-modules.js';
import type { ResolvedAction } from '../../contracts/actions.js';
import type { Root } from '../../host/root.js';
import { LOADABLE_MODULES } from '../../host/write-allowlist.js';
import type { KnobKind } from '../kind.js';
import { sameValue, type RuntimeKnob } from '../knob.js';
import { MODPROBE_CONF } from '../persist/modprobe-conf.js';

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

const moduleLoadKnob: RuntimeKnob = {
  paths: (_root, a) => [`/sys/module/${moduleName(a.module!)}`],
  read: (root, a) => [readLoaded(root, a)],
  writes: (_root, a, value = a.value) => [{ op: 'module', module: moduleName(a.module!), load: true, params: [`${a.param}=${String(value)}`] }],
  verify(root, a, value = a.value) {
    const v = readLoaded(root, a);
    return v !== null && v !== UNLOADED && sameValue(v, value);
  },
};

const allowedLoads = () =>
  Object.entries(LOADABLE_MODULES)
    .map(([m, ps]) => `${m} ${ps.join('/')}`)
    .join(', ');

/** Load a module with one parameter (`modprobe cpuidle-haltpoll force=1`); revert unloads it. Not persisted yet. */
export const moduleLoadKind: KnobKind = {
  name: 'module-load',
  keys: ['kind', 'module', 'param', 'value'],
  scope: 'machine',
  takesEffect: 'runtime',
  check(a, at) {
    if (LOADABLE_MODULES[String(a.module)]?.includes(String(a.param))) return [];
    return [{ at, message: `${String(a.module)} ${String(a.param)}= is not an allowed module to load (${allowedLoads()})` }];
  },
  resolve: (spec, value) => ({ target: `load:${spec.module} ${spec.param}=${value}`, module: spec.module, param: spec.param }),
  knob: moduleLoadKnob,
  // Not persisted yet: a loadable module needs modules-load.d plus its options in modprobe.d.
  route: (_root, a) => ({
    route: 'none',
    why: `not written on disk by nvprobe yet: to load it at boot, put ${moduleName(a.module!)} in /etc/modules-load.d/ and \`options ${moduleName(a.module!)} ${a.param}=${String(a.value)}\` in ${MODPROBE_CONF}`,
  }),
};

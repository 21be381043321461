import { moduleName } from '../../detect/kernel-modules.js';
import { RUNTIME_MODULE_PARAMS } from '../../host/write-allowlist.js';
import type { KnobKind } from '../kind.js';
import { moduleOptionRoute } from '../persist/module-option-route.js';

/** Parameters read at module load / probe time: persisted in modprobe.d or on the kernel command line. */
export const LOAD_TIME_MODULE_PARAMS: Record<string, readonly string[]> = {
  virtio_blk: ['poll_queues', 'num_request_queues'],
  nvme: ['poll_queues'],
  cpuidle_haltpoll: ['force'],
  haltpoll: RUNTIME_MODULE_PARAMS.haltpoll!,
};

/** A module option read when the module loads (`options virtio_blk poll_queues=1`); takes effect at the next boot. */
export const modprobeOptionKind: KnobKind = {
  name: 'modprobe-option',
  keys: ['kind', 'module', 'param', 'value'],
  scope: 'machine',
  takesEffect: 'boot',
  check(a, at) {
    if (LOAD_TIME_MODULE_PARAMS[String(a.module)]?.includes(String(a.param))) return [];
    return [{ at, message: `${String(a.module)}.${String(a.param)} is not an allowed module option` }];
  },
  resolve: (spec) => ({ target: `modprobe:${spec.module}.${spec.param}`, module: spec.module, param: spec.param }),
  route: moduleOptionRoute,
  bootSetting: (a) => ({ cmdlineWord: null, module: moduleName(a.module!), param: a.param! }),
};

import { moduleName } from '../../detect/kernel-modules.js';
import type { KnobKind } from '../kind.js';

/** Kernel command-line parameters a rule may set. */
export const CMDLINE_PARAMS = ['cpuidle_haltpoll.force', 'cpuidle.governor', 'haltpoll.guest_halt_poll_ns', 'virtio_blk.poll_queues', 'virtio_blk.num_request_queues', 'nvme.poll_queues'] as const;

/** `module.param` as the kernel names the module; nulls for a word without a dot. */
function splitParam(p: string): [string | null, string | null] {
  const i = p.indexOf('.');
  return i < 0 ? [null, null] : [moduleName(p.slice(0, i)), p.slice(i + 1)];
}

/** A `param=value` word on the kernel command line, written through the boot loader; read at boot only. */
export const kernelCmdlineKind: KnobKind = {
  name: 'kernel-cmdline',
  keys: ['kind', 'param', 'value'],
  scope: 'machine',
  takesEffect: 'boot',
  check(a, at) {
    if ((CMDLINE_PARAMS as readonly string[]).includes(String(a.param))) return [];
    return [{ at: `${at}.param`, message: `'${String(a.param)}' is not an allowed kernel command-line parameter (${CMDLINE_PARAMS.join(', ')})` }];
  },
  resolve: (spec) => ({ target: `cmdline:${spec.param}`, param: spec.param }),
  route: (_root, a) => ({ route: 'kernel-cmdline', param: a.param!, why: 'kernel command line, from the next boot' }),
  bootSetting(a) {
    const [module, param] = splitParam(a.param!);
    return { cmdlineWord: `${a.param}=${String(a.value)}`, module, param };
  },
};

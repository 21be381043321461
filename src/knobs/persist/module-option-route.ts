import type { ResolvedAction } from '../../contracts/actions.js';
import { parseCmdline } from '../../detect/cmdline.js';
import type { Root } from '../../host/root.js';
import type { ActionRoute } from './action-route.js';
import { MODPROBE_CONF } from './modprobe-conf.js';
import { moduleBuild, moduleName } from './module-build.js';

/**
 * A module parameter at boot: /etc/modprobe.d when the module is loadable, else the kernel
 * command line (`module.param=value`; built-in modules read nothing else, and kmod also applies
 * it to a loadable one).
 */
export function moduleOptionRoute(root: Root, a: ResolvedAction): ActionRoute {
  const module = moduleName(a.module!);
  const param = `${module}.${a.param!}`;
  const build = moduleBuild(root, module);
  if (build.kind === 'builtin') return { route: 'kernel-cmdline', param, why: `${module} is built into the kernel (${build.evidence}): only the kernel command line sets its parameters at boot` };
  if (build.kind === 'unknown') return { route: 'kernel-cmdline', param, why: `whether ${module} is built in is unknown (${build.evidence}): the kernel command line works either way` };
  const cmdline = root.text('/proc/cmdline');
  const onCmdline = cmdline === null ? undefined : parseCmdline(cmdline).params[param];
  if (onCmdline !== undefined) return { route: 'kernel-cmdline', param, why: `the kernel command line already sets ${param}, and modprobe applies it after /etc/modprobe.d: it must change there` };
  return { route: 'modprobe', why: `${module} is a loadable module (${build.evidence}): options in ${MODPROBE_CONF}` };
}

import { parseCmdline } from '../../detect/cmdline.js';
import type { Root } from '../../host/root.js';
import type { ResolvedAction } from '../../rules/types.js';
import type { PersistWrite } from './command-write.js';
import { planKernelParamRemoval, planKernelParams, type CmdlinePlan } from './kernel-cmdline.js';
import { MODPROBE_CONF, modprobeNotes, removeModprobeOptions, setModprobeOptions, type ModuleOption } from './modprobe-conf.js';
import { moduleBuild, moduleName } from './module-build.js';
import { diskMatch, removeUdevQueueAttrs, setUdevQueueAttrs, udevadm, UDEV_RULES, type QueueAttrSetting } from './udev-rules.js';

/** Where a kept action persists. */
export type PersistRoute = 'udev' | 'modprobe' | 'kernel-cmdline' | 'runtime-only' | 'none';

export interface ActionRoute {
  route: PersistRoute;
  /** For kernel-cmdline: the parameter (`haltpoll.guest_halt_poll_ns`). */
  param?: string;
  /** Why this route, in words. */
  why: string;
}

export interface PlannedWrite {
  write: PersistWrite;
  description: string;
  /** `ResolvedAction.target`s this write persists (or un-persists). */
  targets: string[];
  /** Kernel command-line writes: the `k=v` tokens added (removed); journal them to pass `only` on removal later. */
  tokens?: string[];
}

export interface PersistPlan {
  /** For the engine: journal, perform, and revert in reverse. Grouped per file: one write per file. */
  writes: PlannedWrite[];
  /** For the report: one line per action, where it persists or why it does not. */
  actions: Array<{ target: string; route: PersistRoute; text: string }>;
  /** Values found already set, later settings that win, caveats. */
  notes: string[];
  /** What the user must do by hand (no boot loader mechanism found). */
  manual: string[];
}

/**
 * queue-attr → udev rule; module-param and modprobe-option → /etc/modprobe.d when the module is
 * loadable, else the kernel command line (`module.param=value`; built-in modules read nothing
 * else, and kmod also applies it to a loadable one); kernel-cmdline → the boot loader;
 * pm-qos → nothing on disk.
 */
export function routeAction(root: Root, a: ResolvedAction): ActionRoute {
  switch (a.kind) {
    case 'queue-attr':
      if (udevadm(root) === null) return { route: 'none', why: 'udev is not installed (no udevadm): a rules file would never be read' };
      return { route: 'udev', why: `udev rule in ${UDEV_RULES}` };
    case 'pm-qos':
      return { route: 'runtime-only', why: 'runtime only, nothing written on disk: re-applied at boot by the nvprobe-tune service' };
    case 'kernel-cmdline':
      return { route: 'kernel-cmdline', param: a.param!, why: 'kernel command line, from the next boot' };
    case 'module-param':
    case 'modprobe-option': {
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
  }
}

/** The persistent writes for the actions tune decided to keep. Pure: reads through root only. */
export function planPersistence(root: Root, actions: ResolvedAction[]): PersistPlan {
  return build(root, actions, 'set');
}

/**
 * The writes that take the persisted form of these actions out again: nvprobe's own files lose
 * their entries; on the kernel command line, `only` (see planKernelParamRemoval) names the files
 * and commands the journal says nvprobe changed, so a value the user had set stays.
 */
export function planPersistenceRemoval(root: Root, actions: ResolvedAction[], opts: { only?: string[] } = {}): PersistPlan {
  return build(root, actions, 'remove', opts.only);
}

function build(root: Root, actions: ResolvedAction[], op: 'set' | 'remove', only?: string[]): PersistPlan {
  const plan: PersistPlan = { writes: [], actions: [], notes: [], manual: [] };
  const udev: Array<{ a: ResolvedAction; s: QueueAttrSetting }> = [];
  const modprobe: Array<{ a: ResolvedAction; o: ModuleOption }> = [];
  const cmdline: Array<{ a: ResolvedAction; param: string }> = [];

  for (const a of actions) {
    const r = routeAction(root, a);
    const value = String(a.value);
    switch (r.route) {
      case 'udev':
        udev.push({ a, s: { disk: a.disk!, attr: a.attr!, value } });
        break;
      case 'modprobe':
        modprobe.push({ a, o: { module: moduleName(a.module!), param: a.param!, value } });
        // Removal also looks on the command line: the route may have differed when it was applied.
        if (op === 'remove') cmdline.push({ a, param: `${moduleName(a.module!)}.${a.param!}` });
        break;
      case 'kernel-cmdline':
        cmdline.push({ a, param: r.param! });
        if (op === 'remove' && a.module !== undefined) modprobe.push({ a, o: { module: moduleName(a.module), param: a.param!, value } });
        break;
      case 'runtime-only':
      case 'none':
        if (op === 'remove' && a.kind === 'queue-attr') udev.push({ a, s: { disk: a.disk!, attr: a.attr!, value } });
        break;
    }
    plan.actions.push({ target: a.target, route: r.route, text: op === 'set' ? `${a.target}=${value}: ${r.why}` : `${a.target}=${value}: remove from ${a.kind === 'queue-attr' ? UDEV_RULES : describeRoute(r)}` });
  }

  if (udev.length > 0) {
    const writes = op === 'set' ? setUdevQueueAttrs(root, udev.map((u) => u.s)) : removeUdevQueueAttrs(root, udev.map((u) => u.s));
    for (const w of writes) {
      const lines = udev.map(({ s }) => `${s.disk} queue/${s.attr}=${s.value}${op === 'set' ? ` (matched by ${diskMatch(root, s.disk).by})` : ''}`);
      plan.writes.push({ write: w, description: `${op === 'set' ? 'udev rules' : 'remove udev rules'} in ${w.path}: ${lines.join(', ')}${w.content === null ? ' (no rule left: the file goes)' : ''}; then ${w.regenerate!.join(' ')}`, targets: udev.map((u) => u.a.target) });
    }
  }

  if (modprobe.length > 0) {
    const writes = op === 'set' ? setModprobeOptions(root, modprobe.map((m) => m.o)) : removeModprobeOptions(root, modprobe.map((m) => m.o));
    for (const w of writes) {
      const opts = modprobe.map(({ o }) => `${o.module} ${o.param}=${o.value}`).join(', ');
      const regen = w.regenerate ? `; ${w.regenerate.join(' ')} rebuilds the initramfs so a driver loaded from it sees ${op === 'set' ? 'them' : 'the change'}` : '';
      const takes = op === 'set' ? ' (used when the module is next loaded: at the next boot, or after a reload)' : '';
      plan.writes.push({ write: w, description: `${op === 'set' ? 'options' : 'remove options'} ${opts} in ${MODPROBE_CONF}${w.content === null ? ' (nothing left: the file goes)' : ''}${takes}${regen}`, targets: modprobe.map((m) => m.a.target) });
    }
    if (op === 'set') for (const { o } of modprobe) plan.notes.push(...modprobeNotes(root, o));
  }

  if (cmdline.length > 0) {
    const params = cmdline.map(({ a, param }) => ({ param, value: String(a.value) }));
    const p: CmdlinePlan = op === 'set' ? planKernelParams(root, params) : planKernelParamRemoval(root, params, only === undefined ? {} : { only });
    for (const c of p.changes) {
      const targets = cmdline.filter((x) => c.tokens.includes(`${x.param}=${String(x.a.value)}`)).map((x) => x.a.target);
      plan.writes.push({ write: c.write, description: c.description, targets: [...new Set(targets)], tokens: c.tokens });
    }
    plan.notes.push(...p.notes);
    if (p.manual !== null) plan.manual.push(p.manual);
  }
  return plan;
}

function describeRoute(r: ActionRoute): string {
  switch (r.route) {
    case 'udev':
      return UDEV_RULES;
    case 'modprobe':
      return `${MODPROBE_CONF} (and the kernel command line, if nvprobe put it there)`;
    case 'kernel-cmdline':
      return `the kernel command line (${r.param})`;
    case 'runtime-only':
    case 'none':
      return 'nothing on disk';
  }
}

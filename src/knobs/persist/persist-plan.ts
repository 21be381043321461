import type { Root } from '../../host/root.js';
import type { ResolvedAction } from '../../contracts/actions.js';
import { knobKind } from '../kinds.js';
import type { ActionRoute, PersistRoute } from './action-route.js';
import type { PersistWrite } from '../write.js';
import { planKernelParams } from './kernel-cmdline.js';
import { MODPROBE_CONF, modprobeNotes, setModprobeOptions, type ModuleOption } from './modprobe-conf.js';
import { moduleName } from './module-build.js';
import { diskMatch, setUdevQueueAttrs, type QueueAttrSetting } from './udev-rules.js';

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

/** Where a kept action persists, or why it does not: its kind's route. */
export function routeAction(root: Root, a: ResolvedAction): ActionRoute {
  return knobKind(a.kind).route(root, a);
}

/** The persistent writes for the actions tune decided to keep. Pure: reads through root only. */
export function planPersistence(root: Root, actions: ResolvedAction[]): PersistPlan {
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
        break;
      case 'kernel-cmdline':
        cmdline.push({ a, param: r.param! });
        break;
      case 'runtime-only':
      case 'none':
        break;
    }
    plan.actions.push({ target: a.target, route: r.route, text: `${a.target}=${value}: ${r.why}` });
  }

  if (udev.length > 0) {
    const writes = setUdevQueueAttrs(
      root,
      udev.map((u) => u.s),
    );
    for (const w of writes) {
      const lines = udev.map(({ s }) => `${s.disk} queue/${s.attr}=${s.value} (matched by ${diskMatch(root, s.disk).by})`);
      plan.writes.push({
        write: w,
        description: `udev rules in ${w.path}: ${lines.join(', ')}${w.content === null ? ' (no rule left: the file goes)' : ''}; then ${w.regenerate!.join(' ')}`,
        targets: udev.map((u) => u.a.target),
      });
    }
  }

  if (modprobe.length > 0) {
    const writes = setModprobeOptions(
      root,
      modprobe.map((m) => m.o),
    );
    for (const w of writes) {
      const opts = modprobe.map(({ o }) => `${o.module} ${o.param}=${o.value}`).join(', ');
      const regen = w.regenerate ? `; ${w.regenerate.join(' ')} rebuilds the initramfs so a driver loaded from it sees them` : '';
      const takes = ' (used when the module is next loaded: at the next boot, or after a reload)';
      plan.writes.push({
        write: w,
        description: `options ${opts} in ${MODPROBE_CONF}${w.content === null ? ' (nothing left: the file goes)' : ''}${takes}${regen}`,
        targets: modprobe.map((m) => m.a.target),
      });
    }
    for (const { o } of modprobe) plan.notes.push(...modprobeNotes(root, o));
  }

  if (cmdline.length > 0) {
    const params = cmdline.map(({ a, param }) => ({ param, value: String(a.value) }));
    const p = planKernelParams(root, params);
    for (const c of p.changes) {
      const targets = cmdline.filter((x) => c.tokens.includes(`${x.param}=${String(x.a.value)}`)).map((x) => x.a.target);
      plan.writes.push({ write: c.write, description: c.description, targets: [...new Set(targets)], tokens: c.tokens });
    }
    plan.notes.push(...p.notes);
    if (p.manual !== null) plan.manual.push(p.manual);
  }
  return plan;
}

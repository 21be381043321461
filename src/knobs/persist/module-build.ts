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

/** The kernel treats `-` and `_` in module names alike; modules.builtin spells files with either. */
export function moduleName(name: string): string {
  return name.replaceAll('-', '_');
}

/**
 * In order of authority:
 * 1. `/sys/module/<m>/initstate` exists only for a module loaded from a .ko (kernel/module/sysfs.c);
 * 2. `/lib/modules/<release>/modules.builtin` lists every built-in module, `modules.dep` every .ko;
 * 3. `/sys/module/<m>` without `initstate`: built in (the kernel makes the directory for a built-in
 *    module that has parameters). A captured tree must hold `initstate` for loaded modules, or
 *    this reads them as built in.
 */
export function moduleBuild(root: Root, module: string): ModuleBuild {
  const m = moduleName(module);
  if (root.exists(`/sys/module/${m}/initstate`)) return { kind: 'loadable', evidence: `/sys/module/${m}/initstate exists: loaded from a .ko` };

  const dir = modulesDir(root);
  if (dir !== null) {
    const builtin = root.text(`${dir}/modules.builtin`);
    if (builtin !== null && listedModules(builtin).has(m)) return { kind: 'builtin', evidence: `${dir}/modules.builtin lists ${m}` };
    const dep = root.text(`${dir}/modules.dep`);
    if (dep !== null && listedModules(dep).has(m)) return { kind: 'loadable', evidence: `${dir}/modules.dep lists ${m}` };
    if (builtin !== null && dep !== null) return { kind: 'unknown', evidence: `neither ${dir}/modules.builtin nor modules.dep lists ${m}: this kernel lacks it` };
  }

  if (root.isDir(`/sys/module/${m}`)) return { kind: 'builtin', evidence: `/sys/module/${m} exists without initstate: built in` };
  return { kind: 'unknown', evidence: `${m} is not loaded and ${dir === null ? 'no modules directory for the running kernel' : 'its modules directory does not say'}` };
}

/** `/lib/modules/<release>` (or `/usr/lib/modules/<release>`) of the running kernel, when present. */
export function modulesDir(root: Root): string | null {
  const release = root.attr('/proc/sys/kernel/osrelease');
  if (release === null || release === '' || release.includes('/')) return null;
  for (const base of ['/lib/modules', '/usr/lib/modules']) {
    const dir = `${base}/${release}`;
    if (root.isDir(dir)) return dir;
  }
  return null;
}

/**
 * Module names in modules.builtin (`kernel/drivers/block/virtio_blk.ko`) or modules.dep
 * (`kernel/drivers/block/virtio_blk.ko.xz: deps...`): file name without .ko[.xz|.zst|.gz].
 */
export function listedModules(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const path = line.split(':', 1)[0]!.trim();
    const m = /([^/]+)\.ko(?:\.[a-z0-9]+)?$/.exec(path);
    if (m) out.add(moduleName(m[1]!));
  }
  return out;
}

import type { Root } from '../host/root.js';
import type { ModuleKind } from '../contracts/detect-system.js';

/**
 * How a kernel module exists, read through a Root (so a captured tree answers like the machine
 * it came from):
 * 1. `/sys/module/<m>/initstate` exists only for a module loaded from a .ko (kernel/module/sysfs.c);
 * 2. `/lib/modules/<release>/modules.builtin` lists every built-in module, `modules.dep` every .ko;
 * 3. `/sys/module/<m>` without `initstate`: built in (the kernel makes the directory for a built-in
 *    module that has parameters).
 */
export interface ModulePresence {
  /** null: nothing readable says. */
  kind: ModuleKind | null;
  /** A loadable module: loaded (initstate "live"); built in: always true; absent: false. */
  loaded: boolean | null;
  /** Which file said so. */
  evidence: string;
}

/** The kernel treats `-` and `_` in module names alike; modules.builtin spells files with either. */
export function moduleName(name: string): string {
  return name.replaceAll('-', '_');
}

export function modulePresence(root: Root, module: string): ModulePresence {
  const m = moduleName(module);
  const initstate = root.attr(`/sys/module/${m}/initstate`);
  if (initstate !== null)
    return { kind: 'module', loaded: initstate === 'live', evidence: `/sys/module/${m}/initstate exists: loaded from a .ko${initstate === 'live' ? '' : ` (initstate ${initstate})`}` };

  const dir = modulesDir(root);
  if (dir !== null) {
    const builtin = root.text(`${dir}/modules.builtin`);
    if (builtin !== null && listedModules(builtin).has(m)) return { kind: 'builtin', loaded: true, evidence: `${dir}/modules.builtin lists ${m}` };
    const dep = root.text(`${dir}/modules.dep`);
    if (dep !== null && listedModules(dep).has(m)) return { kind: 'module', loaded: false, evidence: `${dir}/modules.dep lists ${m}` };
    if (builtin !== null && dep !== null) return { kind: 'absent', loaded: false, evidence: `neither ${dir}/modules.builtin nor modules.dep lists ${m}: this kernel lacks it` };
  }

  if (root.isDir(`/sys/module/${m}`)) return { kind: 'builtin', loaded: true, evidence: `/sys/module/${m} exists without initstate: built in` };
  return { kind: null, loaded: null, evidence: `${m} is not loaded and ${dir === null ? 'no modules directory for the running kernel' : 'its modules directory does not say'}` };
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

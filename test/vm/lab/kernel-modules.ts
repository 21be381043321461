import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A loadable module to copy into the initramfs, in the order it must be insmod-ed. */
export interface ModuleToLoad {
  name: string;
  /** Absolute path of the .ko in the extracted kernel package */
  file: string;
}

/** Kernel modules use '-' and '_' interchangeably in names. */
const canonical = (name: string) => name.replace(/-/g, '_');
const nameOfPath = (p: string) =>
  canonical(
    p
      .split('/')
      .pop()!
      .replace(/\.ko(\.\w+)?$/, ''),
  );

/**
 * The modules to insmod so that `wanted` work, dependencies first, skipping what the kernel has
 * built in. Dependencies come from each module's own `.modinfo` (the .deb ships no modules.dep,
 * and busybox insmod resolves nothing by itself).
 */
export function moduleLoadOrder(modulesDir: string, wanted: string[]): ModuleToLoad[] {
  const builtin = new Set(readLines(join(modulesDir, 'modules.builtin')).map(nameOfPath));
  const files = new Map(readLines(join(modulesDir, 'modules.order')).map((p) => [nameOfPath(p), join(modulesDir, p)]));
  const order: ModuleToLoad[] = [];
  const visiting = new Set<string>();

  const visit = (raw: string) => {
    const name = canonical(raw);
    if (builtin.has(name) || order.some((m) => m.name === name)) return;
    if (visiting.has(name)) throw new Error(`module dependency cycle through ${name}`);
    const file = files.get(name);
    if (!file) throw new Error(`module ${name} is neither built in nor listed in ${join(modulesDir, 'modules.order')}`);
    visiting.add(name);
    for (const dep of modinfoDepends(file)) visit(dep);
    visiting.delete(name);
    order.push({ name, file });
  };
  for (const name of wanted) visit(name);
  return order;
}

/** Whether the kernel has this module built in (so its parameters go on the kernel cmdline). */
export function isBuiltin(modulesDir: string, name: string): boolean {
  return readLines(join(modulesDir, 'modules.builtin')).map(nameOfPath).includes(canonical(name));
}

/** The `depends=` entry of a module's .modinfo section: NUL-separated key=value strings. */
function modinfoDepends(file: string): string[] {
  if (!file.endsWith('.ko')) throw new Error(`${file}: compressed modules are not supported (busybox insmod needs a plain .ko)`);
  const bytes = readFileSync(file);
  const at = bytes.indexOf('\0depends=');
  if (at < 0) return [];
  const end = bytes.indexOf(0, at + 1);
  const value = bytes.subarray(at + '\0depends='.length, end).toString('latin1');
  return value ? value.split(',') : [];
}

function readLines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

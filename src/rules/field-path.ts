/**
 * Field paths in rules are dotted names into the Snapshot (`kernel.version`, `disk.settings.scheduler`),
 * with `.length` on arrays (`cpus.online.length`) and numeric indexes (`disk.irqs.0.effectiveCpus`).
 * No expressions, no code.
 */
export function resolveField(scope: unknown, path: string): unknown {
  let cur: unknown = scope;
  for (const part of path.split('.')) {
    if (cur === null || cur === undefined) return null;
    if (Array.isArray(cur)) {
      if (part === 'length') cur = cur.length;
      else if (/^\d+$/.test(part)) cur = cur[Number(part)];
      else return null;
      continue;
    }
    if (typeof cur !== 'object' || !Object.hasOwn(cur, part)) return null;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur === undefined ? null : cur;
}

/** `{disk.name}` placeholders in strings filled from the scope; unknown ones left visible. */
export function interpolate(text: string, scope: unknown): string {
  return text.replace(/\{([a-zA-Z][\w.]*)\}/g, (whole, path: string) => {
    const v = resolveField(scope, path);
    if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) return v.join(',');
    return v === null || typeof v === 'object' ? whole : String(v);
  });
}

export function placeholders(text: string): string[] {
  return [...text.matchAll(/\{([a-zA-Z][\w.]*)\}/g)].map((m) => m[1]!);
}

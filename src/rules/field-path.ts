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

/** What a placeholder whose field has no value (or no printable one) renders as: never raw braces. */
export const UNKNOWN_VALUE = 'unknown';

/** `{disk.name}` placeholders in strings filled from the scope; a field without a value reads `unknown`. */
export function interpolate(text: string, scope: unknown, missing: string = UNKNOWN_VALUE): string {
  return text.replace(/\{([a-zA-Z][\w.]*)\}/g, (_whole, path: string) => renderValue(resolveField(scope, path)) ?? missing);
}

/** Whether every placeholder of `text` has a printable value in this scope. */
export function allResolved(text: string, scope: unknown): boolean {
  return placeholders(text).every((p) => renderValue(resolveField(scope, p)) !== null);
}

function renderValue(v: unknown): string | null {
  if (Array.isArray(v)) return v.length && v.every((x) => x !== null && typeof x !== 'object') ? v.join(',') : null;
  return v === null || v === undefined || typeof v === 'object' ? null : String(v);
}

export function placeholders(text: string): string[] {
  return [...text.matchAll(/\{([a-zA-Z][\w.]*)\}/g)].map((m) => m[1]!);
}

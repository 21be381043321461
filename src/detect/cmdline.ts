/** The kernel command line, raw and parsed. */
export interface KernelCmdline {
  /** /proc/cmdline as read (a captured tree holds it redacted: UUIDs and init arguments replaced). */
  raw: string;
  /**
   * Kernel parameters before a lone `--`, last one wins: `quiet` → true, `a.b=1` → "1".
   * Module parameters keep their dotted name (`cpuidle_haltpoll.force`). The kernel treats `-`
   * and `_` alike in names (parameq()), so names are stored with `_` only.
   */
  params: Record<string, string | true>;
}

/** Split like the kernel's next_arg(): whitespace separates, double quotes group. */
export function splitCmdline(raw: string): string[] {
  const words: string[] = [];
  let current = '';
  let inQuotes = false;
  let started = false;
  for (const ch of raw) {
    if (ch === '"') {
      inQuotes = !inQuotes;
      started = true;
    } else if (!inQuotes && /\s/.test(ch)) {
      if (started) words.push(current);
      current = '';
      started = false;
    } else {
      current += ch;
      started = true;
    }
  }
  if (started) words.push(current);
  return words;
}

export function parseCmdline(raw: string): KernelCmdline {
  const params: Record<string, string | true> = {};
  for (const word of splitCmdline(raw)) {
    // Everything after a lone "--" belongs to init, not to the kernel.
    if (word === '--') break;
    const eq = word.indexOf('=');
    const key = normaliseParamName(eq < 0 ? word : word.slice(0, eq));
    if (key === '') continue;
    params[key] = eq < 0 ? true : word.slice(eq + 1);
  }
  return { raw: raw.trim(), params };
}

/** The kernel treats `-` and `_` alike in parameter names (parameq()); keep one spelling. */
export function normaliseParamName(name: string): string {
  return name.replaceAll('-', '_');
}

/**
 * The kernel's part of a command line and init's arguments after a lone `--` (null when there
 * is no `--`). Init's arguments are the program's own business (addresses, tokens): captures and
 * bundles drop them.
 */
export function splitInitArguments(raw: string): { kernel: string; init: string | null } {
  const text = raw.replace(/\n$/, '');
  const dash = text.search(/(^|\s)--(\s|$)/);
  if (dash < 0) return { kernel: text, init: null };
  const rest = text.slice(dash).replace(/^\s*--/, '');
  return { kernel: text.slice(0, dash), init: rest.trim() };
}

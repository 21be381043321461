import type { KernelCmdline } from '../contracts/detect-system.js';

/** One blank-separated word of a command line, with where it sits in the text. */
export interface CmdlineSpan {
  start: number;
  end: number;
  /** The word with its double quotes removed, as the kernel's next_arg() sees it. */
  word: string;
}

/** Split like the kernel's next_arg(): whitespace separates, double quotes group. */
export function cmdlineSpans(text: string): CmdlineSpan[] {
  const out: CmdlineSpan[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    const start = i;
    let word = '';
    let quoted = false;
    while (i < text.length && (quoted || !/\s/.test(text[i]!))) {
      if (text[i] === '"') quoted = !quoted;
      else word += text[i];
      i++;
    }
    out.push({ start, end: i, word });
  }
  return out;
}

/** The words of a command line, as the kernel's next_arg() sees them. */
export function splitCmdline(raw: string): string[] {
  return cmdlineSpans(raw).map((s) => s.word);
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

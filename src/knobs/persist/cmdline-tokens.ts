import { cmdlineSpans as spans, normaliseParamName, type CmdlineSpan as Span } from '../../detect/cmdline.js';

/**
 * Edits of kernel command-line text (a boot entry's `options`, /etc/kernel/cmdline, nvprobe's
 * GRUB line) that touch only nvprobe's own token: everything else, spacing included, stays byte
 * for byte, so that removing the token gives back exactly the text it was added to.
 */

/** The words the kernel parses itself: those before a lone `--` (the rest go to init). */
function kernelSpans(text: string): { words: Span[]; initMarker: Span | null } {
  const all = spans(text);
  const dash = all.findIndex((s) => s.word === '--');
  return dash < 0 ? { words: all, initMarker: null } : { words: all.slice(0, dash), initMarker: all[dash]! };
}

/**
 * The value the kernel ends up with for `param` in this text: the last occurrence wins (`-` and `_`
 * alike in names). A bare word gives true; undefined when the parameter is absent.
 */
export function lastValue(text: string, param: string): string | true | undefined {
  const want = normaliseParamName(param);
  let found: string | true | undefined;
  for (const { word } of kernelSpans(text).words) {
    const eq = word.indexOf('=');
    const name = normaliseParamName(eq < 0 ? word : word.slice(0, eq));
    if (name === want) found = eq < 0 ? true : word.slice(eq + 1);
  }
  return found;
}

/** Every value `param` is given in the text, in order (to tell the user what else sets it). */
export function allValues(text: string, param: string): Array<string | true> {
  const want = normaliseParamName(param);
  const out: Array<string | true> = [];
  for (const { word } of kernelSpans(text).words) {
    const eq = word.indexOf('=');
    if (normaliseParamName(eq < 0 ? word : word.slice(0, eq)) === want) out.push(eq < 0 ? true : word.slice(eq + 1));
  }
  return out;
}

/**
 * Add `token` as the last kernel word: after the last word, or before a lone `--` (words after it
 * belong to init). Trailing blanks and line breaks of the text stay where they are.
 */
export function appendToken(text: string, token: string): string {
  const { words, initMarker } = kernelSpans(text);
  const last = words.at(-1);
  if (last !== undefined) return `${text.slice(0, last.end)} ${token}${text.slice(last.end)}`;
  // `--` first: the token goes in front of it.
  if (initMarker !== null) return `${text.slice(0, initMarker.start)}${token} ${text.slice(initMarker.start)}`;
  // No word at all: the text's blanks and line breaks follow the token ("" → "k=v", "\n" → "k=v\n").
  return `${token}${text}`;
}

/**
 * Remove the last kernel word that is exactly `token`, with the one blank appendToken() put next
 * to it. null when the text has no such word.
 */
export function removeToken(text: string, token: string): string | null {
  const { words } = kernelSpans(text);
  const hit = [...words].reverse().find((s) => text.slice(s.start, s.end) === token);
  if (hit === undefined) return null;
  if (hit.start > 0 && isBlank(text[hit.start - 1])) return text.slice(0, hit.start - 1) + text.slice(hit.end);
  // In front of a leading `--`, appendToken() put the blank after the token; alone, none at all.
  const alone = spans(text).length === 1;
  if (!alone && isBlank(text[hit.end])) return text.slice(0, hit.start) + text.slice(hit.end + 1);
  return text.slice(0, hit.start) + text.slice(hit.end);
}

function isBlank(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t';
}

/** `param=value` as nvprobe writes it. */
export function token(param: string, value: string): string {
  return `${param}=${value}`;
}

/** For messages: `k=v`, or `k` for a bare flag. */
export function describeValue(param: string, value: string | true): string {
  return value === true ? param : `${param}=${value}`;
}

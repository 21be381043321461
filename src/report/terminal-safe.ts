/**
 * Strings nvprobe did not write (model names, serials, paths, cmdlines from a bundle or a
 * device, rule texts from a user's rules dir) must not reach a terminal as control sequences:
 * ESC [2J clears the reader's screen, OSC sequences retitle windows or write the clipboard, C1
 * CSI (U+009B) does the same on some terminals, and bidi overrides make text read differently
 * than it is. One function for all text output; JSON gets the same for what JSON.stringify leaves.
 */

// C0 except tab and newline, DEL, C1, line/paragraph separators, bidi embeddings/overrides/isolates, BOM.
const UNSAFE_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
// The same plus newline and tab: for one-line messages.
const UNSAFE_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

function visible(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Text for a terminal: line breaks and tabs kept, every other control or bidi character shown as \xNN / \uNNNN. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE_TEXT, visible);
}

/** One line for a terminal (an error message): also newlines and tabs made visible. */
export function terminalSafeLine(text: string): string {
  return text.replace(UNSAFE_LINE, visible);
}

// In JSON.stringify's output these can only occur inside string literals (all JSON syntax is ASCII).
const UNSAFE_JSON = /[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** JSON text with what JSON.stringify leaves raw (DEL, C1, U+2028/9, bidi) as \uNNNN escapes: the same document. */
export function jsonSafe(json: string): string {
  return json.replace(UNSAFE_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// Line breaks (and the other line-ending characters a terminal honours) inside one value.
const LINE_BREAKS = /[\n\r\u000b\u000c\u0085\u2028\u2029]/g;

/** One value (a device model, a path, a title) interpolated into a line of text: line breaks shown as \x0a, \x0d. */
export function inlineText(value: string): string {
  return value.replace(LINE_BREAKS, visible);
}

/**
 * A document for a text renderer, with every string inside made one line (inlineText): a device
 * string or a bundle field with "\n" in it must not forge extra lines of output ("restored …",
 * a fake table row). terminalSafe then escapes the rest of the rendered text. Keys in `multiline`
 * keep their line breaks: the renderer indents such values line by line.
 */
export function inlineStrings<T>(doc: T, multiline: readonly string[] = ['libvirtXml']): T {
  const walk = (v: unknown, key: string | null): unknown => {
    if (typeof v === 'string') return key !== null && multiline.includes(key) ? v : inlineText(v);
    if (Array.isArray(v)) return v.map((x) => walk(x, null));
    if (v !== null && typeof v === 'object') {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return v; // Maps, Dates, typed arrays: as they are
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    }
    return v;
  };
  return walk(doc, null) as T;
}

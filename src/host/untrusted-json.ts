/** What a bundle member or a report input may hold: deeper nesting than any nvprobe document is refused. */
export const MAX_JSON_NESTING = 64;

export class UntrustedJsonError extends Error {}

/**
 * JSON.parse for documents from elsewhere (bundle members, report inputs). Throws SyntaxError
 * for text that is not JSON, and UntrustedJsonError for what nvprobe never writes and readers
 * must not meet: nesting deeper than MAX_JSON_NESTING (checked before parsing, so no walk can
 * overflow the stack), numbers out of range (`1e999` parses to Infinity) and `__proto__` keys.
 */
export function parseUntrustedJson(text: string): unknown {
  const depth = maxNesting(text);
  if (depth > MAX_JSON_NESTING) throw new UntrustedJsonError(`nested ${depth > 10_000 ? 'more than 10000' : depth} levels deep (nvprobe writes at most ${MAX_JSON_NESTING})`);
  return JSON.parse(text, (key, value: unknown) => {
    if (key === '__proto__') throw new UntrustedJsonError('holds a "__proto__" key');
    if (typeof value === 'number' && !Number.isFinite(value)) throw new UntrustedJsonError(`holds a number out of range (key ${JSON.stringify(key)})`);
    return value;
  });
}

/** Deepest bracket nesting outside strings (stops counting past 10000). */
function maxNesting(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
      if (max > 10_000) return max;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

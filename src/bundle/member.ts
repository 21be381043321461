import type { Redactor } from './redactor.js';

/**
 * The one way content becomes a bundle member: every member, text or JSON, whichever collector
 * made it (and manifest.json), is redacted here with the bundle's one Redactor, so the same value
 * gets the same token everywhere and a new collector cannot forget it.
 *
 * JSON members (`.json`, and `.jsonl` line by line) are parsed and redacted string by string,
 * then written again: in JSON text a value may be escaped (quotes, backslashes, \u escapes) and a
 * plain text match would miss it. Content that does not parse is redacted as text.
 */
export function redactMember(redactor: Redactor, name: string, text: string): Buffer {
  if (!redactor.enabled) return Buffer.from(text);
  if (name.endsWith('.json')) return Buffer.from(redactJsonText(redactor, text, (v) => `${JSON.stringify(v, null, 2)}\n`));
  if (name.endsWith('.jsonl')) {
    return Buffer.from(
      text
        .split('\n')
        .map((line) => (line.trim() === '' ? line : redactJsonText(redactor, line, (v) => JSON.stringify(v))))
        .join('\n'),
    );
  }
  return Buffer.from(redactor.text(text));
}

function redactJsonText(redactor: Redactor, text: string, write: (v: unknown) => string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return redactor.text(text);
  }
  try {
    return write(redactor.json(doc));
  } catch {
    return redactor.text(text); // nested too deep to walk: redact the text as it is
  }
}

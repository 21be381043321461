import { terminalSafe } from './terminal-safe.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text safe inside HTML elements and attribute values. Controls (ESC, BEL, C1: invalid in HTML and
 * live again when the file is `cat` to a terminal) and bidi overrides (text shown reversed) are
 * first made visible as \xNN / \uNNNN, as in text output.
 */
export function escapeHtml(value: unknown): string {
  return terminalSafe(String(value ?? '')).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

import type { TreeEntry } from '../host/recording-root.js';
import { splitInitArguments } from './cmdline.js';
import { RedactionTokens } from './redaction-tokens.js';

/** Attribute files that identify a device or machine: replaced by placeholders in captures. */
const IDENTIFYING_FILES = new Set(['serial', 'wwid', 'uuid', 'eui', 'nguid', 'subsysnqn', 'product_serial', 'product_uuid', 'board_serial', 'board_asset_tag', 'chassis_serial', 'chassis_asset_tag']);

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;

export interface RedactionResult {
  entries: Map<string, TreeEntry>;
  /** Paths whose content was changed. */
  redacted: string[];
}

/**
 * Replace identifiers in a recorded tree with stable placeholders (the same value gives the
 * same placeholder, numbered in path order), so that a capture can be shared and still compares
 * equal field by field. Also reduces the mount table to the root mount, the only line detect uses.
 */
export function redactCapture(input: ReadonlyMap<string, TreeEntry>, token?: Placeholder): RedactionResult {
  const tokens = new RedactionTokens();
  // A bundle passes its own token source so that the tree and every other file share one map.
  const placeholder = token ?? ((kind: string, value: string) => tokens.token(kind, value).token);
  const entries = new Map(input);
  const redacted: string[] = [];
  for (const key of [...entries.keys()].sort()) {
    const entry = entries.get(key)!;
    if (entry.kind !== 'file' || entry.content === null) continue;
    const next = redactFile(key, entry.content, placeholder);
    if (next !== entry.content) {
      entries.set(key, { kind: 'file', content: next });
      redacted.push(key);
    }
  }
  return { entries, redacted };
}

export type Placeholder = (kind: string, value: string) => string;

function redactFile(guestPath: string, content: string, placeholder: Placeholder): string {
  const base = guestPath.slice(guestPath.lastIndexOf('/') + 1);
  if (IDENTIFYING_FILES.has(base)) {
    const value = content.trim();
    if (value === '') return content;
    // dm uuids start with their target family ("LVM-", "CRYPT-"): keep that, it is not identifying.
    const prefix = guestPath.endsWith('/dm/uuid') ? (/^[A-Za-z]+-/.exec(value)?.[0] ?? '') : '';
    return `${prefix}${placeholder(base, value)}\n`;
  }
  if (guestPath === '/proc/cmdline') return redactCmdline(content, placeholder);
  if (guestPath === '/proc/self/mountinfo') return keepRootMount(content, 4);
  if (guestPath === '/proc/self/mounts') return keepRootMount(content, 1);
  return content;
}

/** UUIDs (root=UUID=..., PARTUUID) become placeholders; init's own arguments after "--" are dropped. */
function redactCmdline(content: string, placeholder: Placeholder): string {
  const { kernel, init } = splitInitArguments(content);
  return `${kernel.replace(UUID, (u) => placeholder('uuid', u.toLowerCase()))}${init === null ? '' : ` -- ${INIT_ARGS_TOKEN}`}\n`;
}

/** What init's arguments become wherever a capture or a bundle holds them: dropped, not mapped. */
export const INIT_ARGS_TOKEN = 'REDACTED-init-args';

/** Keep only the lines mounting "/": the rest names this machine's private mounts. */
function keepRootMount(content: string, mountPointField: number): string {
  const lines = content.split('\n').filter((l) => l.split(' ')[mountPointField] === '/');
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

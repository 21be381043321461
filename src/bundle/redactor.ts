import { isIPv4, isIPv6 } from 'node:net';
import { RedactionTokens } from '../detect/redaction-tokens.js';

/** One replaced value: the customer keeps this list (the map file), the bundle never holds it. */
export interface RedactionMapEntry {
  token: string;
  kind: string;
  value: string;
}

const MAX_JSON_DEPTH = 256;

/** Addresses that identify nobody and that a reader needs to see as they are. */
const KEEP_ADDRESSES = new Set(['127.0.0.1', '0.0.0.0', '255.255.255.255', '::1', '::']);
const KEEP_MACS = new Set(['00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff']);

const UUID = /(?<![0-9A-Za-z])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9A-Za-z])/g;
const MAC = /(?<![0-9A-Za-z:-])[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(?:\1[0-9a-fA-F]{2}){4}(?![0-9A-Za-z:-])/g;
const IPV4 = /(?<![0-9A-Za-z.])(?:\d{1,3}\.){3}\d{1,3}(?![0-9A-Za-z]|\.\d)/g;
const IPV6 = /(?<![0-9A-Za-z:.])[0-9a-fA-F:]*:[0-9a-fA-F:]*(?:(?<=:)(?:\d{1,3}\.){3}\d{1,3})?(?![0-9A-Za-z:]|\.\d)/g;
/** NVMe/SCSI world-wide names: eui.<hex>, naa.<hex>, nvme.<vid>-<serial hex>-..., nqn.<date>.<domain>:<id>. */
const WWN = /(?<![0-9A-Za-z])(?:eui\.[0-9a-fA-F]{16,32}|naa\.[0-9a-fA-F]{16,32}|nvme\.[0-9a-fA-F]{4}-[0-9a-fA-F-]{8,}|nqn\.\d{4}-\d{2}\.[^\s"]+)/g;
/** A home directory names its owner. */
const HOME = /(?<=\/home\/)[^/\s"']+/g;

/**
 * Stable redaction for one bundle: the same value always gets the same token
 * (`REDACTED-<kind>-<n>`, numbered in order of first sight), whichever file it appears in.
 * Known values (hostnames, user names, device identifiers read from identifying files) are
 * replaced literally; addresses, UUIDs and world-wide names by pattern.
 */
export class Redactor {
  private readonly tokens = new RedactionTokens();
  private readonly entries: RedactionMapEntry[] = [];
  /** [kind, value, matcher] for literal values, longest first; `fixed`: dropped, not mapped. */
  private literals: Array<{ kind: string; value: string; re: RegExp; fixed?: string }> = [];

  constructor(readonly enabled = true) {}

  /** The token for a value (created on first use). With redaction off, the value itself. */
  token(kind: string, value: string): string {
    if (!this.enabled) return value;
    const { token, isNew } = this.tokens.token(kind, kind === 'hostname' || kind === 'user' || kind === 'mac' || kind === 'ipv6' ? value.toLowerCase() : value);
    if (isNew) this.entries.push({ token, kind, value });
    return token;
  }

  /**
   * Replace this value wherever it appears as a whole word (not inside a longer name: a host
   * called "vm" must not turn "kvm" into nonsense). Hostnames of 4 characters or more match in
   * any case; shorter ones only as written, since they collide with ordinary words.
   */
  addLiteral(kind: string, value: string): void {
    this.literal(kind, value);
  }

  /**
   * Drop this value wherever it appears: replaced by `replacement` (default `REDACTED-<kind>`,
   * no number), and kept out of the map, like init's arguments in a captured /proc/cmdline.
   */
  drop(kind: string, value: string, replacement = `REDACTED-${kind}`): void {
    this.literal(kind, value, replacement);
  }

  private literal(kind: string, value: string, fixed?: string): void {
    const v = value.trim();
    if (!this.enabled || v.length < 2 || this.literals.some((l) => l.value === v)) return;
    const escaped = v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const flags = kind === 'hostname' && v.length >= 4 ? 'gi' : 'g';
    this.literals.push({ kind, value: v, re: new RegExp(`(?<![0-9A-Za-z_])${escaped}(?![0-9A-Za-z_])`, flags), fixed });
    this.literals.sort((a, b) => b.value.length - a.value.length);
  }

  /** Free text with every known and recognisable identifier replaced. */
  text(input: string): string {
    if (!this.enabled) return input;
    let s = input;
    for (const l of this.literals) s = s.replace(l.re, () => l.fixed ?? this.token(l.kind, l.value));
    s = s.replace(UUID, (m) => this.token('uuid', m.toLowerCase()));
    s = s.replace(WWN, (m) => this.token('wwn', m));
    s = s.replace(MAC, (m) => (KEEP_MACS.has(m.toLowerCase().replace(/-/g, ':')) ? m : this.token('mac', m.toLowerCase().replace(/-/g, ':'))));
    s = s.replace(IPV4, (m) => (isIPv4(m) && !KEEP_ADDRESSES.has(m) ? this.token('ipv4', m) : m));
    s = s.replace(IPV6, (m) => (isIPv6(m) && looksLikeAddress(m) && !KEEP_ADDRESSES.has(m.toLowerCase()) ? this.token('ipv6', m.toLowerCase()) : m));
    s = s.replace(HOME, (m) => (m.startsWith('REDACTED-') ? m : this.token('user', m)));
    return s;
  }

  /**
   * A JSON value with every string in it (object keys too) redacted as text: a value escaped in
   * JSON text (quotes, backslashes, \\u escapes) is still found. Keys such as `__proto__` stay
   * plain data.
   */
  json(value: unknown, depth = 0): unknown {
    if (!this.enabled) return value;
    if (typeof value === 'string') return this.text(value);
    if (value === null || typeof value !== 'object') return value;
    if (depth > MAX_JSON_DEPTH) throw new RangeError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (Array.isArray(value)) return value.map((v) => this.json(v, depth + 1));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [this.text(k), this.json(v, depth + 1)]));
  }

  /** Every replacement made, in order of first sight. */
  map(): RedactionMapEntry[] {
    return [...this.entries];
  }
}

/** "::" groups or eight groups: not a time of day like 12:30:00 (which isIPv6 refuses anyway). */
function looksLikeAddress(s: string): boolean {
  return s.includes('::') || s.split(':').length === 8;
}

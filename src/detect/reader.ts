import type { Root } from '../host/root.js';
import type { Unavailable } from '../contracts/detect-document.js';

/**
 * Reads attributes through a Root and keeps a note for every value that could not be had,
 * so that a null in the Snapshot always comes with its reason instead of a crash.
 */
export class SysReader {
  readonly unavailable: Unavailable[] = [];

  constructor(readonly root: Root) {}

  /** An attribute that should exist: any failure is noted. */
  attr(path: string): string | null {
    return this.read(path, true);
  }

  /** An attribute whose absence is normal (a feature not built, a device without it): only refusals are noted. */
  optional(path: string): string | null {
    return this.read(path, false);
  }

  /** Whole file untrimmed (cpuinfo, interrupts, mountinfo); failures are noted unless optional. */
  text(path: string, optional = false): string | null {
    const r = this.root.readText(path);
    if (r.ok) return r.value;
    if (!(optional && r.reason === 'missing')) this.note(path, r.reason, r.detail);
    return null;
  }

  /** Integer attribute (decimal or 0x hex); text that is not a number is noted as unparsable. */
  int(path: string, optional = false): number | null {
    return this.parse(path, optional, parseInteger);
  }

  /** "1"/"0", "Y"/"N" attributes. */
  bool(path: string, optional = false): boolean | null {
    return this.parse(path, optional, parseFlag);
  }

  parse<T>(path: string, optional: boolean, parser: (text: string) => T | null): T | null {
    const text = this.read(path, !optional);
    if (text === null) return null;
    const value = parser(text);
    if (value === null) this.note(path, 'unparsable', JSON.stringify(text.slice(0, 80)));
    return value;
  }

  list(path: string): string[] {
    return this.root.list(path);
  }

  note(path: string, reason: Unavailable['reason'], detail: string): void {
    this.unavailable.push({ path, reason, detail });
  }

  private read(path: string, noteMissing: boolean): string | null {
    const r = this.root.readAttr(path);
    if (r.ok) return r.value;
    if (noteMissing || r.reason !== 'missing') this.note(path, r.reason, r.detail);
    return null;
  }
}

export function parseInteger(text: string): number | null {
  const t = text.trim();
  if (/^-?\d+$/.test(t)) return Number(t);
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t.slice(2), 16);
  return null;
}

export function parseFlag(text: string): boolean | null {
  const t = text.trim();
  if (t === '1' || t === 'Y' || t === 'y') return true;
  if (t === '0' || t === 'N' || t === 'n') return false;
  return null;
}

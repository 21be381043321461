import type { Root } from '../../host/root.js';
import { appendToken, removeToken } from './cmdline-tokens.js';
import { byteOrder } from './safe-text.js';

/**
 * Boot Loader Specification type #1 entries (`/boot/loader/entries/*.conf`): one file per
 * installed kernel, read at boot by systemd-boot or by GRUB's blscfg (Fedora, RHEL ≥ 8), with
 * the kernel command line in `options` lines (several are joined with blanks).
 */
export const ENTRY_DIRS = ['/boot/loader/entries', '/efi/loader/entries', '/boot/efi/loader/entries'];

/** The first entries directory that holds entries, with them in name order. */
export function findBootEntries(root: Root): { dir: string; files: string[] } | null {
  for (const dir of ENTRY_DIRS) {
    const files = root
      .list(dir)
      .filter((n) => n.endsWith('.conf'))
      .sort(byteOrder)
      .map((n) => `${dir}/${n}`);
    if (files.length > 0) return { dir, files };
  }
  return null;
}

const OPTIONS = /^options(?:[ \t]+(.*))?$/;

/** An entry's `options`, joined; `$kernelopts` (RHEL 8 entries) expanded from the GRUB environment block when given. */
export function entryOptions(text: string, grubenv: Record<string, string> = {}): string {
  const joined = text
    .split('\n')
    .map((l) => OPTIONS.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => m[1] ?? '')
    .join(' ');
  return joined.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (whole, a?: string, b?: string) => grubenv[(a ?? b)!] ?? whole);
}

/** Entry with `token` appended to its last `options` line (an `options` line added when it has none). */
export function addEntryToken(text: string, token: string): string {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!OPTIONS.test(lines[i]!)) continue;
    const m = /^options([ \t]*)(.*)$/.exec(lines[i]!)!;
    // `options` alone: the token needs a separator of its own.
    lines[i] = m[2] === '' && m[1] === '' ? `options ${token}` : `options${m[1]}${appendToken(m[2]!, token)}`;
    return lines.join('\n');
  }
  const body = text.endsWith('\n') || text === '' ? text : `${text}\n`;
  return `${body}options ${token}\n`;
}

/** Entry without the last `options` word that is exactly `token`; an `options` line left empty goes too. null when absent. */
export function removeEntryToken(text: string, token: string): string | null {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^options([ \t]*)(.*)$/.exec(lines[i]!);
    if (!m || !OPTIONS.test(lines[i]!)) continue;
    const rest = removeToken(m[2]!, token);
    if (rest === null) continue;
    if (rest === '') {
      lines.splice(i, 1);
      return lines.join('\n');
    }
    lines[i] = `options${m[1]}${rest}`;
    return lines.join('\n');
  }
  return null;
}

/** Variables of GRUB's environment block (`/boot/grub2/grubenv`: `kernelopts=...`), {} when absent. */
export function grubEnv(root: Root, path = '/boot/grub2/grubenv'): Record<string, string> {
  const text = root.text(path);
  const out: Record<string, string> = {};
  if (text === null) return out;
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

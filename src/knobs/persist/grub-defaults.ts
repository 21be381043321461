import type { Root } from '../../host/root.js';
import { byteOrder } from './safe-text.js';

/**
 * GRUB's defaults: /etc/default/grub, then (Debian, Ubuntu) /etc/default/grub.d/*.cfg, sourced by
 * grub-mkconfig in that order. The kernel command line of a normal boot entry is
 * `GRUB_CMDLINE_LINUX GRUB_CMDLINE_LINUX_DEFAULT`. nvprobe never edits the user's assignments:
 * it appends to GRUB_CMDLINE_LINUX_DEFAULT in a delimited block of its own at the end of
 * /etc/default/grub or, where the directory exists, in a file of its own sorted after the
 * distribution's (Ubuntu cloud images *assign* the variable in 50-cloudimg-settings.cfg, which
 * would silently discard a block in /etc/default/grub).
 */
export const GRUB_DEFAULTS = '/etc/default/grub';
export const GRUB_DROPIN_DIR = '/etc/default/grub.d';
export const GRUB_DROPIN = '/etc/default/grub.d/60-nvprobe.cfg';

export const BLOCK_BEGIN = '# BEGIN nvprobe (managed by nvprobe; `nvprobe revert` removes this block)';
export const BLOCK_END = '# END nvprobe';
const DROPIN_HEADER = '# Managed by nvprobe: `nvprobe revert` removes this file.';
const VAR = 'GRUB_CMDLINE_LINUX_DEFAULT';

/** nvprobe's assignment line for these `k=v` tokens. */
export function nvprobeLine(tokens: string[]): string {
  return `${VAR}="$${VAR} ${tokens.join(' ')}"`;
}

/** Tokens of nvprobe's assignment line in a block or drop-in text (empty when none). */
export function nvprobeTokens(text: string): string[] {
  const prefix = `${VAR}="$${VAR} `;
  for (const line of text.split('\n')) {
    if (line.startsWith(prefix) && line.endsWith('"')) return line.slice(prefix.length, -1).split(' ').filter(Boolean);
  }
  return [];
}

/** Where nvprobe's block sits in /etc/default/grub: [start, end) including its last line break. */
function blockRange(text: string): [number, number] | null {
  let begin: number;
  if (text.startsWith(`${BLOCK_BEGIN}\n`)) begin = 0;
  else {
    const at = text.indexOf(`\n${BLOCK_BEGIN}\n`);
    if (at < 0) return null;
    begin = at + 1;
  }
  const endLine = text.indexOf(`\n${BLOCK_END}`, begin);
  if (endLine < 0) return null;
  const end = endLine + 1 + BLOCK_END.length;
  if (end < text.length && text[end] !== '\n') return null;
  return [begin, end < text.length ? end + 1 : end];
}

/** The tokens in nvprobe's block of /etc/default/grub. */
export function blockTokens(text: string): string[] {
  const r = blockRange(text);
  return r === null ? [] : nvprobeTokens(text.slice(r[0], r[1]));
}

/** /etc/default/grub without nvprobe's block: the user's file as it was. */
export function withoutBlock(text: string): string {
  const r = blockRange(text);
  return r === null ? text : text.slice(0, r[0]) + text.slice(r[1]);
}

/**
 * /etc/default/grub with nvprobe's block holding these tokens: rewritten in place when present,
 * appended otherwise, removed when tokens is empty.
 */
export function withBlock(text: string, tokens: string[]): string {
  const block = tokens.length === 0 ? '' : `${BLOCK_BEGIN}\n${nvprobeLine(tokens)}\n${BLOCK_END}\n`;
  const r = blockRange(text);
  if (r !== null) return text.slice(0, r[0]) + block + text.slice(r[1]);
  if (block === '') return text;
  // A file without a final line break gets one (removing the block later keeps it).
  return text === '' || text.endsWith('\n') ? text + block : `${text}\n${block}`;
}

/** nvprobe's drop-in for these tokens, or null (delete it) when there are none. */
export function dropinContent(tokens: string[]): string | null {
  return tokens.length === 0 ? null : `${DROPIN_HEADER}\n${nvprobeLine(tokens)}\n`;
}

/** The GRUB defaults files in the order grub-mkconfig sources them. */
export function grubDefaultsFiles(root: Root): string[] {
  const files = root.exists(GRUB_DEFAULTS) ? [GRUB_DEFAULTS] : [];
  if (root.isDir(GRUB_DROPIN_DIR)) {
    files.push(
      ...root
        .list(GRUB_DROPIN_DIR)
        .filter((n) => n.endsWith('.cfg'))
        .sort(byteOrder)
        .map((n) => `${GRUB_DROPIN_DIR}/${n}`),
    );
  }
  return files;
}

export interface GrubCmdline {
  /** `GRUB_CMDLINE_LINUX GRUB_CMDLINE_LINUX_DEFAULT` after sourcing every file. */
  cmdline: string;
  /** A value came from something this reader does not evaluate (command substitution, other variables). */
  uncertain: boolean;
  /** Last file that assigned GRUB_CMDLINE_LINUX_DEFAULT without keeping its previous value. */
  resetBy: string | null;
}

/**
 * The command line grub-mkconfig would build from these files (path → content, in sourcing
 * order). Reads only assignments of the two variables, the forms these files use:
 * `VAR="..."`, `VAR='...'`, `VAR=word`, with `$VAR` / `${VAR}` of either variable.
 */
export function evaluateGrubCmdline(files: Array<{ path: string; text: string }>): GrubCmdline {
  const vars: Record<string, string> = { GRUB_CMDLINE_LINUX: '', GRUB_CMDLINE_LINUX_DEFAULT: '' };
  let uncertain = false;
  let resetBy: string | null = null;
  for (const { path, text } of files) {
    for (const line of text.replace(/\\\n/g, '').split('\n')) {
      const m = /^\s*(?:export\s+)?(GRUB_CMDLINE_LINUX(?:_DEFAULT)?)=(.*)$/.exec(line);
      if (!m) continue;
      const name = m[1]!;
      const value = shellWord(m[2]!, vars);
      if (value === null) {
        uncertain = true;
        continue;
      }
      if (value.unknown) uncertain = true;
      if (name === VAR && !value.keepsPrevious) resetBy = path;
      vars[name] = value.text;
    }
  }
  return { cmdline: `${vars.GRUB_CMDLINE_LINUX} ${vars.GRUB_CMDLINE_LINUX_DEFAULT}`, uncertain, resetBy };
}

/** The Root's GRUB defaults evaluated, with nvprobe's block and drop-in left out or replaced. */
export function grubCmdline(root: Root, replace: Record<string, string | null> = {}): GrubCmdline {
  const paths = new Set([...grubDefaultsFiles(root), ...Object.keys(replace)]);
  const files = [...paths]
    .sort((a, b) => (a === GRUB_DEFAULTS ? -1 : b === GRUB_DEFAULTS ? 1 : byteOrder(a, b)))
    .map((path) => ({ path, text: path in replace ? replace[path] : root.text(path) }))
    .filter((f): f is { path: string; text: string } => typeof f.text === 'string');
  return evaluateGrubCmdline(files);
}

interface ShellValue {
  text: string;
  /** Expanded something it does not know (`$OTHER`, `$(...)`, backticks). */
  unknown: boolean;
  /** The value includes `$GRUB_CMDLINE_LINUX_DEFAULT` (appends rather than replaces). */
  keepsPrevious: boolean;
}

/** One shell word (the right-hand side of an assignment); null when it is not a plain assignment. */
function shellWord(rhs: string, vars: Record<string, string>): ShellValue | null {
  let text = '';
  let unknown = false;
  let keepsPrevious = false;
  let i = 0;
  const expand = (): void => {
    // At a `$`: ${NAME}, $NAME, or something else (command substitution, $1...).
    const braced = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(rhs.slice(i));
    const bare = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(rhs.slice(i));
    const m = braced ?? bare;
    if (m === null) {
      unknown = true;
      text += '$';
      i++;
      return;
    }
    const name = m[1]!;
    if (name in vars) text += vars[name];
    else unknown = true;
    if (name === VAR) keepsPrevious = true;
    i += m[0].length;
  };
  while (i < rhs.length) {
    const ch = rhs[i]!;
    if (/\s/.test(ch)) {
      // `VAR=x command` sets VAR for the command only; a trailing comment is fine.
      return /^\s*(#.*)?$/.test(rhs.slice(i)) ? { text, unknown, keepsPrevious } : null;
    }
    if (ch === "'") {
      const close = rhs.indexOf("'", i + 1);
      if (close < 0) return null;
      text += rhs.slice(i + 1, close);
      i = close + 1;
    } else if (ch === '"') {
      i++;
      while (i < rhs.length && rhs[i] !== '"') {
        if (rhs[i] === '\\' && i + 1 < rhs.length && '"\\$`'.includes(rhs[i + 1]!)) {
          text += rhs[i + 1];
          i += 2;
        } else if (rhs[i] === '$') expand();
        else if (rhs[i] === '`') {
          unknown = true;
          i++;
        } else text += rhs[i++];
      }
      if (i >= rhs.length) return null;
      i++;
    } else if (ch === '\\' && i + 1 < rhs.length) {
      text += rhs[i + 1];
      i += 2;
    } else if (ch === '$') expand();
    else if (ch === '`') {
      unknown = true;
      i++;
    } else text += rhs[i++];
  }
  return { text, unknown, keepsPrevious };
}

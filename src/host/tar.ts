import * as path from 'node:path';

/**
 * A small ustar writer and a careful reader, for nvprobe's own bundles: regular files,
 * directories and symlinks only. Names longer than ustar allows travel in a pax `x` header
 * (path=, linkpath=). The reader validates everything before anyone writes a byte to disk.
 */
export type TarEntry = { kind: 'file'; name: string; data: Buffer; mode?: number } | { kind: 'dir'; name: string; mode?: number } | { kind: 'link'; name: string; target: string };

const BLOCK = 512;

/** Why an archive was refused; `member` names the entry when one is at fault. */
export class TarError extends Error {
  readonly member?: string;
  constructor(message: string, member?: string) {
    super(message);
    this.name = 'TarError';
    this.member = member;
  }
}

export interface TarLimits {
  /** Largest single member, bytes. */
  maxMemberBytes: number;
  /** Most members. */
  maxMembers: number;
}

// ---------------------------------------------------------------- writer

export function writeTar(entries: readonly TarEntry[], mtime = Math.floor(Date.now() / 1000)): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const name = e.kind === 'dir' && !e.name.endsWith('/') ? `${e.name}/` : e.name;
    const linkname = e.kind === 'link' ? e.target : '';
    const split = splitName(name);
    const pax: string[] = [];
    if (split === null) pax.push(paxRecord('path', name));
    if (Buffer.byteLength(linkname) > 100) pax.push(paxRecord('linkpath', linkname));
    if (pax.length > 0) {
      const body = Buffer.from(pax.join(''));
      parts.push(header({ name: 'PaxHeader', prefix: '', size: body.length, type: 'x', mode: 0o644, mtime, linkname: '' }), pad(body));
    }
    const [prefix, base] = split ?? ['', name.slice(-100).replace(/^\/+/, '')];
    const size = e.kind === 'file' ? e.data.length : 0;
    const type = e.kind === 'file' ? '0' : e.kind === 'dir' ? '5' : '2';
    const mode = e.kind === 'link' ? 0o777 : (e.mode ?? (e.kind === 'dir' ? 0o755 : 0o644));
    parts.push(header({ name: base, prefix, size, type, mode, mtime, linkname: Buffer.byteLength(linkname) > 100 ? '' : linkname }));
    if (e.kind === 'file') parts.push(pad(e.data));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

/** [prefix, name] fitting ustar's 155 + 100 bytes, or null when the path needs a pax header. */
function splitName(name: string): [string, string] | null {
  if (Buffer.byteLength(name) <= 100) return ['', name];
  for (let i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '') return [prefix, rest];
  }
  return null;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

function header(h: { name: string; prefix: string; size: number; type: string; mode: number; mtime: number; linkname: string }): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, 'utf8');
  octal(b, 100, 8, h.mode);
  octal(b, 108, 8, 0);
  octal(b, 116, 8, 0);
  octal(b, 124, 12, h.size);
  octal(b, 136, 12, h.mtime);
  b.fill(0x20, 148, 156); // checksum field counts as spaces
  b.write(h.type, 156, 1, 'latin1');
  b.write(h.linkname, 157, 100, 'utf8');
  b.write('ustar\0', 257, 6, 'latin1');
  b.write('00', 263, 2, 'latin1');
  b.write('root', 265, 32, 'latin1');
  b.write('root', 297, 32, 'latin1');
  b.write(h.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return b;
}

function octal(b: Buffer, offset: number, width: number, value: number): void {
  b.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, width, 'latin1');
}

function pad(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest)]);
}

// ---------------------------------------------------------------- reader

/**
 * Parse a tar held in memory into validated entries: relative names without `..`, no
 * duplicates, no hard links, device files or FIFOs, no member above the limits, and no symlink
 * whose target (followed through the other links of the archive) leaves the archive's root.
 */
export function readTar(buf: Buffer, limits: TarLimits): TarEntry[] {
  const out: TarEntry[] = [];
  const names = new Set<string>();
  let pax: Record<string, string> = {};
  let off = 0;
  for (;;) {
    if (off + BLOCK > buf.length) throw new TarError('the archive is truncated (it ends inside a tar header)');
    const h = buf.subarray(off, off + BLOCK);
    if (h.every((x) => x === 0)) break;
    verifyChecksum(h, off);
    const type = String.fromCharCode(h[156]!);
    const size = parseOctal(h.subarray(124, 136), off);
    const rawName = cstr(h.subarray(0, 100));
    const prefix = h.subarray(257, 262).toString('latin1') === 'ustar' ? cstr(h.subarray(345, 500)) : '';
    const name = pax.path ?? (prefix ? `${prefix}/${rawName}` : rawName);
    const linkname = pax.linkpath ?? cstr(h.subarray(157, 257));
    const dataStart = off + BLOCK;
    const dataEnd = dataStart + size;
    if (size > limits.maxMemberBytes) throw new TarError(`member ${JSON.stringify(name)} is ${size} bytes, above the limit of ${limits.maxMemberBytes}`, name);
    if (dataEnd > buf.length) throw new TarError(`the archive is truncated (member ${JSON.stringify(name)} is cut short)`, name);
    off = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      pax = parsePax(buf.subarray(dataStart, dataEnd));
      continue;
    }
    pax = {};
    if (type === 'g') continue; // global pax header: nothing we use
    const clean = checkName(name);
    if (names.has(clean)) throw new TarError(`member ${JSON.stringify(name)} appears twice`, name);
    names.add(clean);
    if (out.length >= limits.maxMembers) throw new TarError(`more than ${limits.maxMembers} members`);
    switch (type) {
      case '0':
      case '\0':
      case '7':
        out.push({ kind: 'file', name: clean, data: Buffer.from(buf.subarray(dataStart, dataEnd)) });
        break;
      case '5':
        out.push({ kind: 'dir', name: clean });
        break;
      case '2':
        if (linkname === '') throw new TarError(`symlink ${JSON.stringify(name)} has no target`, name);
        if (linkname.startsWith('/')) throw new TarError(`symlink ${JSON.stringify(name)} points at the absolute path ${JSON.stringify(linkname)}`, name);
        out.push({ kind: 'link', name: clean, target: linkname });
        break;
      case '1':
        throw new TarError(`member ${JSON.stringify(name)} is a hard link, which nvprobe bundles never hold`, name);
      case '3':
      case '4':
        throw new TarError(`member ${JSON.stringify(name)} is a device file`, name);
      case '6':
        throw new TarError(`member ${JSON.stringify(name)} is a FIFO`, name);
      default:
        throw new TarError(`member ${JSON.stringify(name)} has the unsupported type ${JSON.stringify(type)}`, name);
    }
  }
  checkLinksStayInside(out);
  return out;
}

function verifyChecksum(h: Buffer, off: number): void {
  const stored = parseOctal(h.subarray(148, 156), off);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  if (sum !== stored) throw new TarError(`not a tar archive, or a corrupt one (bad header checksum at byte ${off})`);
}

function parseOctal(field: Buffer, off: number): number {
  const text = cstr(field).trim();
  if (!/^[0-7]+$/.test(text)) throw new TarError(`not a tar archive, or a corrupt one (bad number in the header at byte ${off})`);
  return parseInt(text, 8);
}

function cstr(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString('utf8');
}

/** A pax header bigger than this is not one nvprobe wrote (a path is at most 4 KiB). */
const MAX_PAX_BYTES = 64 * 1024;

/**
 * `LEN key=value\n` records, each LEN bytes long including itself: a LEN that does not move
 * forward, runs past the body or lacks its newline is corrupt (a 0 looped forever).
 */
function parsePax(body: Buffer): Record<string, string> {
  if (body.length > MAX_PAX_BYTES) throw new TarError(`a pax header of ${body.length} bytes, above the limit of ${MAX_PAX_BYTES}`);
  const out: Record<string, string> = {};
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    const digits = space < 0 ? '' : body.subarray(at, space).toString('latin1');
    if (!/^[1-9]\d{0,5}$/.test(digits)) throw new TarError('corrupt pax header (bad record length)');
    const len = Number(digits);
    const end = at + len;
    if (end > body.length || len <= digits.length + 3 || body[end - 1] !== 0x0a) throw new TarError('corrupt pax header (record length)');
    const record = body.subarray(space + 1, end - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq <= 0) throw new TarError('corrupt pax header (no key)');
    out[record.slice(0, eq)] = record.slice(eq + 1);
    at = end;
  }
  return out;
}

/** A relative, normalised name, or a TarError for absolute names and `..`. */
function checkName(name: string): string {
  if (name === '' || name.includes('\0')) throw new TarError(`member with an empty or invalid name ${JSON.stringify(name)}`, name);
  if (name.startsWith('/')) throw new TarError(`member ${JSON.stringify(name)} has an absolute path`, name);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new TarError(`member ${JSON.stringify(name)} climbs out with '..'`, name);
  if (parts.length === 0) throw new TarError(`member ${JSON.stringify(name)} names the archive root`, name);
  return parts.join('/');
}

/**
 * Follow every symlink through the archive's own links, the way the kernel would after
 * extraction: a `..` above the root (directly, or via another link) is an escape.
 */
function checkLinksStayInside(entries: readonly TarEntry[]): void {
  const links = new Map<string, string>();
  for (const e of entries) if (e.kind === 'link') links.set(e.name, e.target);
  // Like the kernel: at most MAX_FOLLOWS links followed in one resolution (MAXSYMLINKS), so
  // chains and fans of links cost linear work, never exponential.
  const MAX_FOLLOWS = 40;
  for (const [name, target] of links) {
    let follows = 0;
    // A work list of path components still to walk, from the link's directory.
    const cur = path.posix
      .dirname(name)
      .split('/')
      .filter((p) => p !== '.' && p !== '');
    const todo = target.split('/').reverse();
    while (todo.length > 0) {
      const part = todo.pop()!;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (cur.length === 0) throw new TarError(`symlink ${JSON.stringify(name)} points outside the archive`, name);
        cur.pop();
        continue;
      }
      cur.push(part);
      const next = links.get(cur.join('/'));
      if (next === undefined) continue;
      if (++follows > MAX_FOLLOWS) throw new TarError(`symlink ${JSON.stringify(name)} is part of a loop, or a chain longer than ${MAX_FOLLOWS} links`, name);
      if (next.startsWith('/')) throw new TarError(`symlink ${JSON.stringify(name)} points at an absolute path`, name);
      cur.pop();
      for (const p of next.split('/').reverse()) todo.push(p);
    }
  }
}

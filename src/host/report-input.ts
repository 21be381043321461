import * as fs from 'node:fs';
import { parseUntrustedJson, UntrustedJsonError } from '../bundle/untrusted-json.js';
import { usageError } from '../errors.js';
import { readArchive } from './bundle-archive.js';
import type { TarEntry } from './tar.js';

const MAX_JSON_BYTES = 32 << 20;
const HINT = 'give a bundle (.tar.gz from `nvprobe collect`) or a saved tune run (<state>/runs/RUN.json)';

/** What `nvprobe report` was given: a bundle's validated members, or one JSON document. */
export type ReportSource = { kind: 'bundle'; file: string; entries: TarEntry[] } | { kind: 'json'; file: string; doc: unknown };

export function readReportSource(file: string): ReportSource {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw usageError(`${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code})`}`, HINT);
  }
  const head = Buffer.alloc(2);
  let st: fs.Stats;
  try {
    st = fs.fstatSync(fd);
    if (!st.isFile()) throw usageError(`${file} is not a regular file`, HINT);
    fs.readSync(fd, head, 0, 2, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return { kind: 'bundle', file, entries: readArchive(file) };
  if (st.size > MAX_JSON_BYTES) throw usageError(`${file} is ${st.size} bytes: too large for a run document`, HINT);
  const text = fs.readFileSync(file, 'utf8');
  try {
    return { kind: 'json', file, doc: parseUntrustedJson(text) };
  } catch (err) {
    if (err instanceof UntrustedJsonError) throw usageError(`${file} ${err.message}: not a document nvprobe wrote`, HINT);
    throw usageError(`${file} is neither a gzip'd bundle nor JSON`, HINT);
  }
}

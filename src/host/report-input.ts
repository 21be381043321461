import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { parseUntrustedJson, UntrustedJsonError } from './untrusted-json.js';
import { NvprobeError, usageError } from '../errors.js';
import { openRegularFile } from './safe-read.js';
import { readArchive } from './bundle-archive.js';
import type { TarEntry } from './tar.js';

const MAX_JSON_BYTES = 32 << 20;
const HINT = 'give a bundle (.tar.gz from `nvprobe collect`) or a saved tune run (<state>/runs/RUN.json)';

/**
 * What `nvprobe report` was given: a bundle's validated members, or one JSON document; `digest`
 * (sha256 of the members or the document) tells the same input given twice, under any name.
 */
export type ReportSource = { kind: 'bundle'; file: string; entries: TarEntry[]; digest: string } | { kind: 'json'; file: string; doc: unknown; digest: string };

/** Both inputs hold the same bundle or document (the same file twice, a copy, a link to it). */
export function sameContents(a: ReportSource, b: ReportSource): boolean {
  return a.kind === b.kind && a.digest === b.digest;
}

function entriesDigest(entries: readonly TarEntry[]): string {
  const h = createHash('sha256');
  for (const e of entries) {
    h.update(`${e.kind}\0${e.name}\0`);
    if (e.kind === 'file') h.update(e.data);
    else if (e.kind === 'link') h.update(e.target);
    h.update('\0');
  }
  return h.digest('hex');
}

export function readReportSource(file: string): ReportSource {
  let data: Buffer;
  try {
    // Non-blocking open + fstat: a FIFO or device given by mistake (or malice) is refused, never waited on.
    const { fd, stats } = openRegularFile(file);
    try {
      const head = Buffer.alloc(2);
      fs.readSync(fd, head, 0, 2, 0);
      if (head[0] === 0x1f && head[1] === 0x8b) {
        const entries = readArchive(file);
        return { kind: 'bundle', file, entries, digest: entriesDigest(entries) };
      }
      if (stats.size > MAX_JSON_BYTES) throw usageError(`${file} is ${stats.size} bytes: too large for a run document`, HINT);
      data = fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if (!(err instanceof Error) || err instanceof NvprobeError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTREG' || code === 'EISDIR') throw usageError(`${file} is not a regular file`, HINT);
    throw usageError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'ELOOP' ? 'too many levels of symbolic links (ELOOP)' : `cannot read it (${code ?? String(err)})`}`, HINT);
  }
  try {
    return { kind: 'json', file, doc: parseUntrustedJson(data.toString('utf8')), digest: createHash('sha256').update(data).digest('hex') };
  } catch (err) {
    if (err instanceof UntrustedJsonError) throw usageError(`${file} ${err.message}: not a document nvprobe wrote`, HINT);
    throw usageError(`${file} is neither a gzip'd bundle nor JSON`, HINT);
  }
}

import * as fs from 'node:fs';
import { parseUntrustedJson, UntrustedJsonError } from './untrusted-json.js';
import { ExitCode, NvprobeError } from '../errors.js';

/** State records are a few KiB; a bigger one was not written by nvprobe. */
export const MAX_RECORD_BYTES = 1 << 20;

/**
 * The one reader of nvprobe's small state records (pending-verify.json, last-verify.json): opened
 * O_NONBLOCK|O_NOFOLLOW, read only as a regular file within MAX_RECORD_BYTES, parsed as untrusted
 * JSON (no deep nesting, no out-of-range numbers, no __proto__). A FIFO must not hang status or
 * verify, a link must not lead root to read what it points at. Absent: null. Anything else: one
 * line, exit 2.
 */
export function readStateRecord(file: string): unknown | null {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw bad(file, code === 'ELOOP' ? 'is a symbolic link' : `cannot be read (${code ?? String(err)})`);
  }
  let text: string;
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw bad(file, 'is not a regular file');
    if (st.size > MAX_RECORD_BYTES) throw bad(file, `is larger than ${MAX_RECORD_BYTES} bytes`);
    text = fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
  try {
    return parseUntrustedJson(text);
  } catch (err) {
    throw bad(file, err instanceof UntrustedJsonError ? err.message : 'is not JSON');
  }
}

function bad(file: string, why: string): NvprobeError {
  return new NvprobeError(`${file} ${why}: not a record nvprobe wrote; nvprobe will not guess what it says`, {
    exitCode: ExitCode.usage,
    hint: `look at it, run \`nvprobe revert\` if changes are in effect, then remove ${file}`,
  });
}

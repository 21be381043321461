import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExitCode, NvprobeError } from '../errors.js';
import { replaceFileAtomic } from './atomic-file.js';

/**
 * Output files the user names (`probe -o FILE`), as opposed to nvprobe's own allowlisted files:
 * checked before any work is done, then replaced atomically so that a reader (node_exporter's
 * textfile collector reads *.prom) never sees half a file.
 */
export function checkOutputPath(file: string): string {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new NvprobeError(`cannot write ${file}: directory ${dir} does not exist`, { exitCode: ExitCode.usage, hint: 'create the directory first, or choose another -o path' });
  }
  if (!st.isDirectory()) throw new NvprobeError(`cannot write ${file}: ${dir} is not a directory`, { exitCode: ExitCode.usage });
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new NvprobeError(`cannot write ${file}: no write permission on ${dir}`, { exitCode: ExitCode.usage, hint: 'rerun as a user who may write there, or choose another -o path' });
  }
  if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) throw new NvprobeError(`cannot write ${file}: it is a directory`, { exitCode: ExitCode.usage });
  return abs;
}

/** Temp file beside the target (dot-named, no .prom suffix), fsync, rename over it, fsync the directory. */
export function writeOutputFileAtomic(file: string, content: string, mode = 0o644): void {
  try {
    replaceFileAtomic(file, content, mode); // mode set explicitly: the umask must not decide who may read the metrics
  } catch (err) {
    throw new NvprobeError(`cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
}

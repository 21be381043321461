import { checkCreatable, writeFileSafely } from './safe-create.js';

/**
 * Output files the user names (`probe -o FILE`), as opposed to nvprobe's own allowlisted files:
 * checked before any work is done (a real directory, a regular file or nothing at the name, a
 * file can be created there), then replaced atomically so that a reader (node_exporter's
 * textfile collector reads *.prom) never sees half a file. Exit 2 for a bad place.
 */
export function checkOutputPath(file: string): string {
  return checkCreatable(file);
}

/** Unpredictable temp file beside the target (dot-named, no .prom suffix), O_EXCL|O_NOFOLLOW, fsync, rename over it, fsync the directory. */
export function writeOutputFileAtomic(file: string, content: string, mode = 0o644): void {
  writeFileSafely(file, content, { mode, replace: true });
}

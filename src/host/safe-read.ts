import * as fs from 'node:fs';

/**
 * Reading a file someone else may have put there (a bundle, a captured tree, a rules dir, a
 * user-given path): opened O_NONBLOCK so that a FIFO or a device never blocks the open, then
 * fstat'ed on the descriptor, and read only if it is a regular file. A FIFO, socket or device
 * fails with code ENOTREG (a directory with EISDIR), like any other unreadable file.
 */

const READ_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;

export class NotRegularFileError extends Error {
  readonly code: 'ENOTREG' | 'EISDIR' | 'EFBIG';
  constructor(file: string, code: 'ENOTREG' | 'EISDIR' | 'EFBIG', what: string) {
    super(`${file}: ${what}`);
    this.code = code;
  }
}

/** Open read-only without blocking and make sure it is a regular file; the caller closes the fd. */
export function openRegularFile(file: string): { fd: number; stats: fs.Stats } {
  const fd = fs.openSync(file, READ_FLAGS);
  let stats: fs.Stats;
  try {
    stats = fs.fstatSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  if (!stats.isFile()) {
    fs.closeSync(fd);
    throw stats.isDirectory() ? new NotRegularFileError(file, 'EISDIR', 'is a directory') : new NotRegularFileError(file, 'ENOTREG', 'is not a regular file');
  }
  return { fd, stats };
}

/** The whole regular file (size 0 files such as procfs ones are read to EOF), at most maxBytes. */
export function readRegularFile(file: string, maxBytes = Number.MAX_SAFE_INTEGER): Buffer {
  const { fd, stats } = openRegularFile(file);
  try {
    if (stats.size > maxBytes) throw new NotRegularFileError(file, 'EFBIG', `is larger than ${maxBytes} bytes`);
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

import * as fs from 'node:fs';

/**
 * write(2) may take fewer bytes than asked and report no error (a nearly full filesystem takes
 * what fits, then says ENOSPC on the next call). A write is done only when every byte is: loop
 * until all are taken; a call that takes none is a failure, never a success.
 */
export function writeAllSync(fd: number, data: Buffer | string, position: number | null = null): void {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  let off = 0;
  while (off < buf.length) {
    const n = fs.writeSync(fd, buf, off, buf.length - off, position === null ? null : position + off);
    if (n <= 0) throw shortWrite(off, buf.length);
    off += n;
  }
}

/** The same for a FileHandle (the scratch file is written asynchronously, with progress). */
export async function writeAllAsync(handle: fs.promises.FileHandle, buf: Buffer, length: number, position: number): Promise<void> {
  let off = 0;
  while (off < length) {
    const { bytesWritten } = await handle.write(buf, off, length - off, position + off);
    if (bytesWritten <= 0) throw shortWrite(off, length);
    off += bytesWritten;
  }
}

/** After writing a new file: its size must be what was written (a filesystem that lied is caught here). */
export function expectSize(fd: number, size: number): void {
  const actual = fs.fstatSync(fd).size;
  if (actual !== size) throw Object.assign(new Error(`the file holds ${actual} of ${size} bytes after writing`), { code: 'EIO', syscall: 'write' });
}

function shortWrite(done: number, total: number): NodeJS.ErrnoException {
  return Object.assign(new Error(`short write: ${done} of ${total} bytes, then nothing`), { code: 'EIO', syscall: 'write' });
}

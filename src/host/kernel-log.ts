import * as fs from 'node:fs';

export type KernelLogRead = { ok: true; lines: string[]; truncated: boolean } | { ok: false; reason: string };

/**
 * The kernel ring buffer as `[seconds] message` lines, read from /dev/kmsg without blocking
 * (one record per read; EAGAIN at the end). Stops after maxRecords or when deadline passes.
 */
export function readKernelLog(deadline: number, maxRecords = 100_000): KernelLogRead {
  let fd: number;
  try {
    fd = fs.openSync('/dev/kmsg', fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    return { ok: false, reason: `/dev/kmsg: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  }
  const lines: string[] = [];
  const buf = Buffer.alloc(16384);
  let truncated = false;
  try {
    for (;;) {
      if (lines.length >= maxRecords || Date.now() > deadline) {
        truncated = true;
        break;
      }
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') break; // end of the buffer
        if (code === 'EPIPE') continue; // records overwritten while reading: skip ahead
        if (lines.length === 0) return { ok: false, reason: `/dev/kmsg: ${code ?? String(err)}` };
        break;
      }
      if (n === 0) break;
      const record = buf.subarray(0, n).toString('utf8');
      const semi = record.indexOf(';');
      if (semi < 0) continue;
      const usec = Number(record.slice(0, semi).split(',')[2]);
      const message = record.slice(semi + 1).split('\n')[0]!;
      lines.push(`[${(usec / 1e6).toFixed(6).padStart(13)}] ${message}`);
    }
  } finally {
    fs.closeSync(fd);
  }
  return { ok: true, lines, truncated };
}

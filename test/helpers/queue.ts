import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';

/** The whole disk under a file or block device and whether its queue polls (queue/io_poll), read from sysfs. */
export function queueOfFile(path: string): { disk: string; ioPoll: boolean } {
  const st = statSync(path);
  const dev = BigInt(st.isBlockDevice() ? st.rdev : st.dev);
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  let sys = realpathSync(`/sys/dev/block/${major}:${minor}`);
  if (existsSync(`${sys}/partition`)) sys = dirname(sys);
  const disk = basename(sys);
  return { disk, ioPoll: readFileSync(`/sys/block/${disk}/queue/io_poll`, 'utf8').trim() === '1' };
}

import type { Root } from '../host/root.js';
import { statPath } from '../host/file-info.js';
import { kernelDevt } from './io-events.js';

/**
 * The kernel dev_t values a target's block events carry: the device the reads go to (a
 * partition's bio events carry the partition) and its whole disk (request events carry the disk).
 * Empty when the target's filesystem has no block device (tmpfs, overlay's own st_dev, NFS).
 */
export function traceDevices(root: Root, path: string, disk: string | null): number[] {
  const info = statPath(path);
  const d = info.kind === 'block' ? info.rdev : info.dev;
  const out = new Set<number>();
  if (d.major !== 0) out.add(kernelDevt(d.major, d.minor));
  const whole = disk ? /^(\d+):(\d+)$/.exec(root.attr(`/sys/block/${disk}/dev`) ?? '') : null;
  if (whole) out.add(kernelDevt(Number(whole[1]), Number(whole[2])));
  if (d.major === 0) return []; // no block device under this file: the disk guess would be someone else's I/O
  return [...out];
}

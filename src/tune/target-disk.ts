import { blockDeviceForDevno, findRootFsDevice } from '../detect/root-fs.js';
import { usageError } from '../errors.js';
import { statPath } from '../host/file-info.js';
import type { Root } from '../host/root.js';

/** Which disk the probe will read: the TARGET's, or the root filesystem's. */
export function targetDisk(root: Root, target: string | undefined): string | null {
  if (target === undefined) return findRootFsDevice(root)?.disk ?? null;
  let info: ReturnType<typeof statPath>;
  try {
    info = statPath(target);
  } catch {
    throw usageError(`${target}: no such file or device`, 'give an existing file or block device, or no TARGET');
  }
  const dev = info.kind === 'block' ? info.rdev : info.dev;
  return dev.major === 0 ? null : (blockDeviceForDevno(root, dev.major, dev.minor)?.disk ?? null);
}

import type { Root } from '../../host/root.js';

const BIN_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * Guest path of a program under the Root (`/usr/sbin/update-grub`), or null. Only existence is
 * checked: the engine runs the program later, on the live system, by this absolute path.
 */
export function findTool(root: Root, name: string, dirs: readonly string[] = BIN_DIRS): string | null {
  for (const dir of dirs) {
    const p = `${dir}/${name}`;
    if (root.exists(p) && !root.isDir(p)) return p;
  }
  return null;
}

/** The command that rebuilds the initramfs of this distribution, or null when none is installed. */
export function initramfsCommand(root: Root): string[] | null {
  const updateInitramfs = findTool(root, 'update-initramfs');
  if (updateInitramfs !== null) return [updateInitramfs, '-u'];
  const dracut = findTool(root, 'dracut');
  if (dracut !== null) return [dracut, '-f'];
  const mkinitcpio = findTool(root, 'mkinitcpio');
  if (mkinitcpio !== null) return [mkinitcpio, '-P'];
  return null;
}

import type { Root } from '../../host/root.js';
import { grubRegenerate, kernelInstallCommand } from './kernel-cmdline.js';
import { initramfsCommand } from './tools.js';
import { udevadm } from './udev-rules.js';

/**
 * Every command nvprobe's persistence runs after writing a boot file on this system: the GRUB
 * menu, the kernel-install entry, the initramfs, udev's reload. A command read back from the
 * journal runs only if it is one of these (the journal is a file; what root executes comes
 * from the code).
 */
export function regenerateCommands(root: Root): string[][] {
  const udev = udevadm(root);
  return [grubRegenerate(root), kernelInstallCommand(root), initramfsCommand(root), udev ? [udev, 'control', '--reload'] : null].filter((c): c is string[] => c !== null);
}

/** Whether `argv` is exactly one of regenerateCommands(root). */
export function isRegenerateCommand(root: Root, argv: readonly string[]): boolean {
  return regenerateCommands(root).some((c) => c.length === argv.length && c.every((x, i) => x === argv[i]));
}

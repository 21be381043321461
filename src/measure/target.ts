import { ExitCode, NvprobeError, usageError } from '../errors.js';
import { blockDeviceForDevno, findRootFsDevice, mountOfPath } from '../detect/root-fs.js';
import { isRoot, statPath, type FileInfo } from '../host/file-info.js';
import { memoryFilesystem } from '../host/pseudo-fs.js';
import type { Root } from '../host/root.js';
import { blockDeviceGeometry, closeFd, openReadOnly } from '../native/libc.js';
import { NativeError } from '../native/native-error.js';
import type { ProbeTarget } from '../contracts/probe-measurement.js';

/** Stat TARGET and refuse, with one clear line, anything nvprobe cannot read as a block span. */
export function inspectTarget(root: Root, target: string, blockSize: number, spanLimit?: number): ProbeTarget {
  const info = checkTargetKind(target);

  let sizeBytes = info.sizeBytes;
  let logicalBlockSize: number;
  let disk: string | null;
  let filesystem: ProbeTarget['filesystem'] = null;
  if (info.kind === 'block') {
    const geo = withReadOnlyFd(target, (fd) => blockDeviceGeometry(fd, target));
    sizeBytes = geo.sizeBytes;
    logicalBlockSize = geo.logicalBlockSize;
    disk = info.rdev.major === 0 ? null : (blockDeviceForDevno(root, info.rdev.major, info.rdev.minor)?.disk ?? null);
  } else {
    // A file's reads go to the disk under its filesystem (none for tmpfs, overlay and the like).
    disk = info.dev.major === 0 ? null : (blockDeviceForDevno(root, info.dev.major, info.dev.minor)?.disk ?? null);
    const lbs = disk ? Number(root.attr(`/sys/block/${disk}/queue/logical_block_size`)) : NaN;
    logicalBlockSize = Number.isFinite(lbs) && lbs > 0 ? lbs : 512;
    const m = mountOfPath(root, root.realpath(target));
    filesystem = m ? { type: m.fsType, mountPoint: m.mountPoint } : null;
  }

  if (blockSize % logicalBlockSize !== 0) {
    throw usageError(`--bs ${blockSize} is not a multiple of ${target}'s logical block size (${logicalBlockSize})`, `use --bs ${Math.max(logicalBlockSize, 4096)}`);
  }
  if (sizeBytes < blockSize) {
    throw usageError(`${target} is smaller than one block (${sizeBytes} < ${blockSize} bytes)`, 'give a larger target or a smaller --bs');
  }
  if (spanLimit !== undefined && spanLimit < blockSize) throw usageError(`--size ${spanLimit} is smaller than one block of ${blockSize}`);
  if (spanLimit !== undefined && spanLimit > sizeBytes) {
    throw usageError(`--size ${spanLimit} is larger than ${target} (${sizeBytes} bytes)`, 'leave --size out to use the whole target');
  }
  const span = Math.floor(Math.min(sizeBytes, spanLimit ?? sizeBytes) / blockSize) * blockSize;
  if (info.kind === 'file') refuseSparse(target, info, span);
  return { path: target, kind: info.kind, sizeBytes, spanBytes: span, logicalBlockSize, disk, filesystem, scratch: false, ...backingOf(target, info, disk, filesystem) };
}

/**
 * A sparse file's holes read as zeros without reaching the disk: its "latency" would be a memset
 * (85,941 IOPS and a 0.00 µs minimum from a `truncate -s 256M` file). Refused when the filesystem
 * has allocated less than the span (some filesystems allocate a little less than written: 2 %).
 */
function refuseSparse(target: string, info: FileInfo, span: number): void {
  if (info.allocatedBytes >= span * 0.98) return;
  const mib = (b: number) => `${Math.round(b / (1 << 20))} MiB`;
  throw usageError(
    `${target} is sparse: ${mib(info.allocatedBytes)} of the ${mib(span)} it would read are allocated, and reads of its holes return zeros without touching the disk`,
    `write real data into it first (e.g. dd if=/dev/urandom of=${target} bs=1M count=${Math.ceil(span / (1 << 20))} conv=notrunc), or give no TARGET: nvprobe then writes a scratch file of real data`,
  );
}

/** Whether reads of the target reach a block device: a file on tmpfs is measured from memory. */
function backingOf(target: string, info: FileInfo, disk: string | null, filesystem: ProbeTarget['filesystem']): Pick<ProbeTarget, 'backing' | 'backingNote'> {
  if (info.kind === 'block' || disk !== null) return { backing: 'block-device' };
  const mem = memoryFilesystem(target) ?? (filesystem && ['tmpfs', 'ramfs'].includes(filesystem.type) ? filesystem.type : null);
  if (mem) return { backing: 'memory', backingNote: `not backed by a block device: ${target} is on ${mem} (memory), so these figures are not storage latency` };
  return { backing: 'unknown', backingNote: `not backed by a block device nvprobe can find (${filesystem?.type ?? 'unknown'} filesystem), so these figures may not be storage latency` };
}

/** stat TARGET and refuse what is neither a regular file nor a block device (no open: works without root). */
export function checkTargetKind(target: string): FileInfo & { kind: 'file' | 'block' } {
  let info: FileInfo;
  try {
    info = statPath(target);
  } catch (err) {
    throw statError(target, err);
  }
  if (info.kind === 'directory') throw usageError(`${target} is a directory`, 'give a regular file or a block device');
  if (info.kind === 'char') throw usageError(`${target} is a character device`, 'nvprobe reads block devices and regular files (for NVMe use /dev/nvmeXnY, not /dev/nvmeX)');
  if (info.kind !== 'file' && info.kind !== 'block') throw usageError(`${target} is not a regular file or block device`, 'give a regular file or a block device');
  return { ...info, kind: info.kind };
}

function withReadOnlyFd<T>(p: string, fn: (fd: number) => T): T {
  let fd: number;
  try {
    fd = openReadOnly(p, { direct: false });
  } catch (err) {
    throw openError(p, err, null);
  }
  try {
    return fn(fd);
  } finally {
    closeFd(fd);
  }
}

function statError(target: string, err: unknown): NvprobeError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return usageError(`${target}: no such file or device`, 'give an existing file or block device (e.g. /dev/vdb), or no TARGET for the root disk');
  if (code === 'ELOOP') return usageError(`${target}: too many levels of symbolic links (ELOOP)`, 'give the path of a file or block device, not a symlink loop');
  if (code === 'ENAMETOOLONG') return usageError(`${target}: file name too long`);
  if (code === 'EACCES' || code === 'EPERM') return permissionError(target, code);
  return new NvprobeError(`${target}: cannot stat: ${code ?? String(err)}`);
}

function permissionError(target: string, code: string): NvprobeError {
  if (!isRoot()) {
    return new NvprobeError(`${target}: permission denied (${code}) and nvprobe is not running as root`, {
      exitCode: ExitCode.needsRoot,
      hint: 'rerun as root, e.g. with sudo',
    });
  }
  return new NvprobeError(`${target}: ${code} even as root: a device policy refuses it (device cgroup, SELinux/AppArmor, or a container)`, {
    hint: 'probe a file on that filesystem instead, or allow the device in the policy',
  });
}

/** Word an open(2) failure of the target for the user. */
export function openError(target: string, err: unknown, fsType: string | null): Error {
  if (!(err instanceof NativeError)) return err as Error;
  switch (err.code) {
    case 'EINVAL':
      return usageError(`${target}: the ${fsType ?? "target's"} filesystem does not support O_DIRECT`, 'probe a file on a filesystem with direct I/O (ext4, xfs, btrfs), or the block device itself');
    case 'EACCES':
    case 'EPERM':
      return permissionError(target, err.code);
    case 'ENOENT':
    case 'ENXIO':
    case 'ENODEV':
      return usageError(`${target}: no such device (${err.code})`);
    default:
      return new NvprobeError(`${target}: ${err.message}`);
  }
}

/** /dev node of the exact block device (partition or disk) holding the root filesystem. */
export function rootFsDevice(root: Root): { path: string; name: string } | null {
  const fs = findRootFsDevice(root);
  return fs?.device ? { path: `/dev/${fs.device}`, name: fs.device } : null;
}

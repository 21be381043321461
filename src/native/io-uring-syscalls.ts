import { archConstants } from './arch.js';
import { IORING_FEAT_SINGLE_MMAP, IORING_OFF_CQ_RING, IORING_OFF_SQ_RING, IORING_OFF_SQES, PARAMS, parseRingParams, ringSizes, type RingParams } from './io-uring-abi.js';
import { BoundCall, closeFd, dataTypes, mapAligned, mapShared, type FieldType, type NativeMemory } from './libc.js';
import { NativeError } from './native-error.js';

/**
 * io_uring_enter through libc's syscall(2): (nr, fd, to_submit, min_complete, flags, sig).
 * syscall(2) is variadic, but on x86_64 (SysV) and aarch64 (AAPCS64 as Linux uses it) integer
 * variadic arguments travel in the same registers as fixed ones, and glibc's syscall() only
 * shuffles registers, so a fixed all-I64 declaration is exact. The sixth syscall argument
 * (argsz) is left out: the kernel reads it only with IORING_ENTER_EXT_ARG or a non-NULL
 * sigmask, and we pass neither. One argument less is ~0.5 µs less ffi-rs cost per read.
 */
export function enterShape(): FieldType[] {
  const { I64 } = dataTypes();
  return [I64, I64, I64, I64, I64, I64];
}

/** One io_uring instance with its three shared mappings. */
export interface RingMappings {
  readonly fd: number;
  readonly params: RingParams;
  /** The SQ ring (head, tail, mask, array...). */
  readonly sqRing: Buffer;
  /** The CQ ring (head, tail, cqes...); the same memory as sqRing with IORING_FEAT_SINGLE_MMAP. */
  readonly cqRing: Buffer;
  /** The SQE array. */
  readonly sqes: Buffer;
  /** io_uring_enter(fd, to_submit, min_complete, flags, NULL) with a reusable argument array. */
  enterCall(toSubmit: number, minComplete: number, flags: number): BoundCall;
  close(): void;
}

/**
 * io_uring_setup(entries, params) and the mmaps of the SQ ring, CQ ring and SQE array
 * (MAP_SHARED | MAP_POPULATE at the IORING_OFF_* offsets). Throws NativeError naming the
 * failing call (io_uring_setup or mmap) with the kernel's errno.
 */
export function setupRing(entries: number, flags: number): RingMappings {
  const nr = archConstants().syscalls;
  const params = mapAligned(PARAMS.size);
  let fd = -1;
  const maps: NativeMemory[] = [];
  try {
    params.view.fill(0, 0, PARAMS.size);
    params.view.writeUInt32LE(flags, PARAMS.flags);
    const { I64 } = dataTypes();
    const setup = new BoundCall('syscall', [I64, I64, I64], [nr.io_uring_setup, entries, params.address]).invokeWithErrno();
    if (setup.value < 0) throw new NativeError('io_uring_setup', setup.errno, undefined, `${entries} entries, flags 0x${flags.toString(16)}`);
    fd = setup.value;
    const p = parseRingParams(params.view);
    const size = ringSizes(p);
    const single = (p.features & IORING_FEAT_SINGLE_MMAP) !== 0;
    const sq = mapShared(fd, single ? Math.max(size.sqRing, size.cqRing) : size.sqRing, IORING_OFF_SQ_RING, 'io_uring SQ ring');
    maps.push(sq);
    const cq = single ? sq : mapShared(fd, size.cqRing, IORING_OFF_CQ_RING, 'io_uring CQ ring');
    if (!single) maps.push(cq);
    const sqes = mapShared(fd, size.sqes, IORING_OFF_SQES, 'io_uring SQEs');
    maps.push(sqes);
    const ringFd = fd;
    let closed = false;
    return {
      fd: ringFd,
      params: p,
      sqRing: sq.view,
      cqRing: cq.view,
      sqes: sqes.view,
      enterCall: (toSubmit, minComplete, enterFlags) => new BoundCall('syscall', enterShape(), [nr.io_uring_enter, ringFd, toSubmit, minComplete, enterFlags, 0]),
      close() {
        if (closed) return;
        closed = true;
        for (const m of maps) m.free();
        closeFd(ringFd);
      },
    };
  } catch (err) {
    for (const m of maps) m.free();
    if (fd >= 0) closeFd(fd);
    throw err;
  } finally {
    params.free();
  }
}

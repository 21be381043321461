/**
 * The io_uring ABI nvprobe uses, from include/uapi/linux/io_uring.h. Identical on x86_64 and
 * aarch64 (fixed-width fields, natural alignment, no padding differences). Offsets are checked
 * against a live ring by test/native/io-uring-abi.test.ts.
 */

// io_uring_setup(2) flags and io_uring_params.features bits.
export const IORING_SETUP_IOPOLL = 1 << 0;
export const IORING_FEAT_SINGLE_MMAP = 1 << 0;

// io_uring_enter(2) flags.
export const IORING_ENTER_GETEVENTS = 1 << 0;

// mmap(2) offsets selecting which part of the ring to map.
export const IORING_OFF_SQ_RING = 0;
export const IORING_OFF_CQ_RING = 0x8000000;
export const IORING_OFF_SQES = 0x10000000;

// enum io_uring_op
export const IORING_OP_NOP = 0;
export const IORING_OP_READ = 22;

/** struct io_uring_params: 120 bytes, filled in by the kernel. */
export const PARAMS = {
  size: 120,
  sq_entries: 0,
  cq_entries: 4,
  flags: 8,
  sq_thread_cpu: 12,
  sq_thread_idle: 16,
  features: 20,
  wq_fd: 24,
  // resv[3] at 28
  sq_off: 40,
  cq_off: 80,
} as const;

/** struct io_sqring_offsets (40 bytes), relative to PARAMS.sq_off. */
export const SQ_OFF = { head: 0, tail: 4, ring_mask: 8, ring_entries: 12, flags: 16, dropped: 20, array: 24, resv1: 28, user_addr: 32 } as const;

/** struct io_cqring_offsets (40 bytes), relative to PARAMS.cq_off. */
export const CQ_OFF = { head: 0, tail: 4, ring_mask: 8, ring_entries: 12, overflow: 16, cqes: 20, flags: 24, resv1: 28, user_addr: 32 } as const;

/** struct io_uring_sqe: 64 bytes. */
export const SQE = { size: 64, opcode: 0, flags: 1, ioprio: 2, fd: 4, off: 8, addr: 16, len: 24, rw_flags: 28, user_data: 32, buf_index: 40 } as const;

/** struct io_uring_cqe: 16 bytes (without IORING_SETUP_CQE32). */
export const CQE = { size: 16, user_data: 0, res: 8, flags: 12 } as const;

/** Where the kernel says each ring field lives (byte offsets into the SQ / CQ ring mappings). */
export interface RingOffsets {
  sq: { head: number; tail: number; ringMask: number; ringEntries: number; flags: number; dropped: number; array: number };
  cq: { head: number; tail: number; ringMask: number; ringEntries: number; overflow: number; cqes: number };
}

export interface RingParams {
  sqEntries: number;
  cqEntries: number;
  flags: number;
  features: number;
  offsets: RingOffsets;
}

/** Decode the io_uring_params the kernel filled in. */
export function parseRingParams(p: Buffer): RingParams {
  const sq = (f: keyof typeof SQ_OFF) => p.readUInt32LE(PARAMS.sq_off + SQ_OFF[f]);
  const cq = (f: keyof typeof CQ_OFF) => p.readUInt32LE(PARAMS.cq_off + CQ_OFF[f]);
  return {
    sqEntries: p.readUInt32LE(PARAMS.sq_entries),
    cqEntries: p.readUInt32LE(PARAMS.cq_entries),
    flags: p.readUInt32LE(PARAMS.flags),
    features: p.readUInt32LE(PARAMS.features),
    offsets: {
      sq: { head: sq('head'), tail: sq('tail'), ringMask: sq('ring_mask'), ringEntries: sq('ring_entries'), flags: sq('flags'), dropped: sq('dropped'), array: sq('array') },
      cq: { head: cq('head'), tail: cq('tail'), ringMask: cq('ring_mask'), ringEntries: cq('ring_entries'), overflow: cq('overflow'), cqes: cq('cqes') },
    },
  };
}

/** Bytes to map for each ring, as liburing computes them. */
export function ringSizes(p: RingParams): { sqRing: number; cqRing: number; sqes: number } {
  return {
    sqRing: p.offsets.sq.array + p.sqEntries * 4,
    cqRing: p.offsets.cq.cqes + p.cqEntries * CQE.size,
    sqes: p.sqEntries * SQE.size,
  };
}

import { readdirSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CQE, IORING_ENTER_GETEVENTS, IORING_FEAT_SINGLE_MMAP, IORING_OP_NOP, IORING_SETUP_IOPOLL, PARAMS, SQE, ringSizes } from '../../src/native/io-uring-abi.js';
import { setupRing } from '../../src/native/io-uring-syscalls.js';

const ringFds = () =>
  readdirSync('/proc/self/fd').filter((n) => {
    try {
      return readlinkSync(`/proc/self/fd/${n}`) === 'anon_inode:[io_uring]';
    } catch {
      return false;
    }
  });

describe('io_uring ABI against a live ring', () => {
  it('decodes io_uring_params: the ring the kernel describes matches what we asked for', () => {
    const ring = setupRing(4, 0);
    try {
      const p = ring.params;
      expect(p.sqEntries).toBe(4);
      expect(p.cqEntries).toBe(8); // the kernel doubles the CQ ring by default
      expect(p.flags).toBe(0);
      expect(p.features & IORING_FEAT_SINGLE_MMAP).toBe(IORING_FEAT_SINGLE_MMAP); // every kernel since 5.4
      const { sq, cq } = p.offsets;
      // The same numbers, read from the rings themselves at the offsets the kernel gave.
      expect(ring.sqRing.readUInt32LE(sq.ringEntries)).toBe(4);
      expect(ring.sqRing.readUInt32LE(sq.ringMask)).toBe(3);
      expect(ring.cqRing.readUInt32LE(cq.ringEntries)).toBe(8);
      expect(ring.cqRing.readUInt32LE(cq.ringMask)).toBe(7);
      for (const at of [sq.head, sq.tail, cq.head, cq.tail]) expect(ring.sqRing.readUInt32LE(at)).toBe(0);
      // Offsets are distinct and inside the mappings.
      const sizes = ringSizes(p);
      expect(new Set([sq.head, sq.tail, sq.ringMask, sq.ringEntries, sq.flags, sq.dropped, sq.array]).size).toBe(7);
      expect(sq.array + 4 * 4).toBeLessThanOrEqual(ring.sqRing.length);
      expect(cq.cqes + 8 * CQE.size).toBeLessThanOrEqual(ring.cqRing.length);
      expect(ring.sqes.length).toBeGreaterThanOrEqual(sizes.sqes);
    } finally {
      ring.close();
    }
  });

  it('round-trips an SQE to a CQE: opcode, user_data (all 64 bits) and res at the documented offsets', () => {
    const ring = setupRing(2, 0);
    try {
      const { sq, cq } = ring.params.offsets;
      const sqe = ring.sqes.subarray(0, SQE.size);
      sqe.fill(0);
      sqe.writeUInt8(IORING_OP_NOP, SQE.opcode);
      sqe.writeBigUInt64LE(0x0123456789abcdefn, SQE.user_data);
      ring.sqRing.writeUInt32LE(0, sq.array);
      ring.sqRing.writeUInt32LE(1, sq.tail);
      const submitted = ring.enterCall(1, 1, IORING_ENTER_GETEVENTS).invoke();
      expect(submitted).toBe(1);
      expect(ring.sqRing.readUInt32LE(sq.head)).toBe(1); // consumed
      expect(ring.cqRing.readUInt32LE(cq.tail)).toBe(1); // completed
      expect(ring.cqRing.readBigUInt64LE(cq.cqes + CQE.user_data)).toBe(0x0123456789abcdefn);
      expect(ring.cqRing.readInt32LE(cq.cqes + CQE.res)).toBe(0);
    } finally {
      ring.close();
    }
  });

  it('accepts IORING_SETUP_IOPOLL at setup (refusals show only per read) and reports it back', () => {
    const ring = setupRing(1, IORING_SETUP_IOPOLL);
    try {
      expect(ring.params.flags & IORING_SETUP_IOPOLL).toBe(IORING_SETUP_IOPOLL);
    } finally {
      ring.close();
    }
  });

  it('closes the ring fd on close, and reports setup errors with the errno', () => {
    const before = ringFds().length;
    const ring = setupRing(1, 0);
    expect(ringFds().length).toBe(before + 1);
    ring.close();
    expect(ringFds().length).toBe(before);
    // 0 entries is EINVAL in every kernel: the error names the call and the errno.
    expect(() => setupRing(0, 0)).toThrow(/io_uring_setup failed: EINVAL/);
    expect(ringFds().length).toBe(before);
    expect(PARAMS.size).toBe(120);
  });
});

import { CQE, IORING_ENTER_GETEVENTS, IORING_OP_READ, IORING_SETUP_IOPOLL, SQE } from '../native/io-uring-abi.js';
import { enterShape, setupRing, type RingMappings } from '../native/io-uring-syscalls.js';
import { BoundCall, closeFd, mapAligned, openReadOnly, type NativeMemory } from '../native/libc.js';
import { ERRNO, NativeError } from '../native/native-error.js';
import type { EngineDescriptor, IoEngine } from './engine.js';
import { IoUringError } from './io-uring-errors.js';

export interface IoUringOptions {
  path: string;
  blockSize: number;
  /** IORING_SETUP_IOPOLL: the kernel polls the device queue for completion inside io_uring_enter. */
  poll: boolean;
}

// QD1 needs one submission slot; the kernel gives the CQ ring twice as many.
const RING_ENTRIES = 1;
const TWO_32 = 4294967296;

/**
 * IORING_OP_READ at queue depth 1, O_DIRECT: per read one SQE (only offset and user_data
 * change) and ONE io_uring_enter(fd, 1, 1, GETEVENTS) that submits and waits — with IOPOLL the
 * kernel spins on the device's poll queue instead of sleeping for an interrupt.
 *
 * The rings are shared memory seen through zero-copy Buffer views. Single-threaded, so plain
 * stores suffice: the SQE and tail are written before the syscall that reads them, and the
 * kernel has observed the CQ tail (with acquire semantics, in this thread) before it returns.
 */
export class IoUringEngine implements IoEngine {
  readonly name = 'io_uring' as const;
  readonly blockSize: number;
  readonly pollRequested: boolean;
  readonly data: Buffer;
  private readonly fd: number;
  private readonly memory: NativeMemory;
  private readonly ring: RingMappings;
  private readonly submitAndWait: BoundCall;
  private readonly waitOnly: BoundCall;
  private readonly emptyCall: BoundCall;
  private readonly noopCall: BoundCall;
  private readonly sqe: Buffer;
  private readonly sqRing: Buffer;
  private readonly cqRing: Buffer;
  private readonly sqTailAt: number;
  private readonly sqHeadAt: number;
  private readonly cqHeadAt: number;
  private readonly cqTailAt: number;
  private readonly cqesAt: number;
  private readonly cqMask: number;
  private sqTail: number;
  private cqHead: number;
  private seq = 0;
  private closed = false;

  constructor(opts: IoUringOptions) {
    this.blockSize = opts.blockSize;
    this.pollRequested = opts.poll;
    this.fd = openReadOnly(opts.path, { direct: true });
    let memory: NativeMemory | undefined;
    let ring: RingMappings | undefined;
    try {
      memory = mapAligned(opts.blockSize);
      try {
        ring = setupRing(RING_ENTRIES, opts.poll ? IORING_SETUP_IOPOLL : 0);
      } catch (err) {
        throw err instanceof NativeError ? new IoUringError('setup', err, opts.poll) : err;
      }
    } catch (err) {
      memory?.free();
      closeFd(this.fd);
      throw err;
    }
    this.memory = memory;
    this.ring = ring;
    this.data = memory.view.subarray(0, opts.blockSize);
    const { sq, cq } = ring.params.offsets;
    this.sqRing = ring.sqRing;
    this.cqRing = ring.cqRing;
    this.sqTailAt = sq.tail;
    this.sqHeadAt = sq.head;
    this.cqHeadAt = cq.head;
    this.cqTailAt = cq.tail;
    this.cqesAt = cq.cqes;
    this.cqMask = this.cqRing.readUInt32LE(cq.ringMask);
    this.sqTail = this.sqRing.readUInt32LE(sq.tail);
    this.cqHead = this.cqRing.readUInt32LE(cq.head);

    // Every ring slot points at SQE 0, filled once; at QD1 it is never in flight twice.
    const sqMask = this.sqRing.readUInt32LE(sq.ringMask);
    for (let i = 0; i <= sqMask; i++) this.sqRing.writeUInt32LE(0, sq.array + 4 * i);
    this.sqe = ring.sqes.subarray(0, SQE.size);
    this.sqe.fill(0);
    this.sqe.writeUInt8(IORING_OP_READ, SQE.opcode);
    this.sqe.writeInt32LE(this.fd, SQE.fd);
    this.sqe.writeBigUInt64LE(BigInt(memory.address), SQE.addr);
    this.sqe.writeUInt32LE(opts.blockSize, SQE.len);

    this.submitAndWait = ring.enterCall(1, 1, IORING_ENTER_GETEVENTS);
    this.waitOnly = ring.enterCall(0, 1, IORING_ENTER_GETEVENTS);
    this.emptyCall = ring.enterCall(0, 0, 0);
    // labs(3) with io_uring_enter's argument list: identical ffi-rs marshalling, no kernel entry.
    // The extra arguments travel in registers the callee ignores (x86_64 SysV, AAPCS64).
    this.noopCall = new BoundCall('labs', enterShape(), [...this.submitAndWait.args]);

    try {
      this.read(0);
    } catch (err) {
      this.close();
      throw checkError(err, opts.poll);
    }
  }

  read(offset: number): void {
    const sqe = this.sqe;
    const seq = (this.seq = (this.seq + 1) >>> 0);
    sqe.writeUInt32LE(offset >>> 0, SQE.off);
    sqe.writeUInt32LE(Math.floor(offset / TWO_32), SQE.off + 4);
    sqe.writeUInt32LE(seq, SQE.user_data);
    this.sqTail = (this.sqTail + 1) >>> 0;
    this.sqRing.writeUInt32LE(this.sqTail, this.sqTailAt);
    const submitted = this.submitAndWait.invoke();
    if (submitted !== 1 || this.cqRing.readUInt32LE(this.cqTailAt) === this.cqHead) this.slowSubmit(submitted);
    // The completion for this read; anything else would be a stale CQE of an interrupted read.
    let res: number;
    for (;;) {
      const cqe = this.cqesAt + (this.cqHead & this.cqMask) * CQE.size;
      const userData = this.cqRing.readUInt32LE(cqe + CQE.user_data);
      res = this.cqRing.readInt32LE(cqe + CQE.res);
      this.cqHead = (this.cqHead + 1) >>> 0;
      this.cqRing.writeUInt32LE(this.cqHead, this.cqHeadAt);
      if (userData === seq) break;
      this.waitForCompletion();
    }
    if (res !== this.blockSize) this.fail(res, offset);
  }

  noop(): void {
    this.noopCall.invoke();
  }

  emptySyscall(): void {
    this.emptyCall.invoke();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ring.close();
    closeFd(this.fd);
    this.memory.free();
  }

  /** io_uring_enter did not return with our completion: find out why, then wait for it. */
  private slowSubmit(submitted: number): void {
    if (submitted < 1 && this.sqRing.readUInt32LE(this.sqHeadAt) !== this.sqTail) {
      // Not consumed: submit again, capturing errno (a failing enter fails the same way again).
      const again = this.submitAndWait.invokeWithErrno();
      if (this.sqRing.readUInt32LE(this.sqHeadAt) !== this.sqTail) {
        this.sqTail = (this.sqTail - 1) >>> 0; // withdraw the SQE so the ring stays consistent
        this.sqRing.writeUInt32LE(this.sqTail, this.sqTailAt);
        throw new NativeError('io_uring_enter', again.value < 0 ? again.errno : 0, undefined, 'the kernel did not take the read');
      }
    }
    this.waitForCompletion();
  }

  /** Block until at least one CQE is there; a signal (EINTR) only restarts the wait. */
  private waitForCompletion(): void {
    while (this.cqRing.readUInt32LE(this.cqTailAt) === this.cqHead) {
      const r = this.waitOnly.invokeWithErrno();
      if (r.value < 0 && r.errno !== ERRNO.EINTR && r.errno !== ERRNO.EAGAIN) {
        throw new NativeError('io_uring_enter', r.errno, undefined, 'waiting for a completion');
      }
    }
  }

  private fail(res: number, offset: number): never {
    if (res >= 0) throw new NativeError('io_uring read', 0, `at offset ${offset}`, `short read: ${res} of ${this.blockSize} bytes`);
    throw new NativeError('io_uring read', -res, `at offset ${offset}`);
  }
}

/** Errors of the first read that say io_uring (or IOPOLL) cannot serve this target at all. */
function checkError(err: unknown, poll: boolean): unknown {
  if (!(err instanceof NativeError) || err.syscall !== 'io_uring read') return err;
  if (err.errno === ERRNO.EOPNOTSUPP || err.errno === ERRNO.EINVAL) return new IoUringError('first-read', err, poll);
  return err;
}

export const IO_URING: EngineDescriptor = {
  name: 'io_uring',
  choosable: true,
  reads: 'IORING_OP_READ, one io_uring_enter per read',
  help: 'IOPOLL where the disk polls, else interrupt completion',
  auto: 'where-queue-polls',
  // fio's io_uring hipri=1 is IORING_SETUP_IOPOLL.
  fio: { ioengine: 'io_uring', pollOption: 'hipri' },
  syscall: 'io_uring_enter',
  polling: 'IORING_SETUP_IOPOLL',
  options: [],
  open: (target, opts) => new IoUringEngine({ ...target, poll: opts.poll }),
};

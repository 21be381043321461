import { PAGE_SIZE, RWF_HIPRI } from '../native/arch.js';
import { BoundCall, closeFd, dataTypes, mapAligned, openReadOnly, type FieldType, type NativeMemory } from '../native/libc.js';
import { NativeError } from '../native/native-error.js';
import type { EngineDescriptor, EngineOptions, IoEngine } from './engine.js';

/** preadv2(fd, iov, iovcnt, offset, flags). */
function preadv2Shape(): FieldType[] {
  const { I32, I64 } = dataTypes();
  return [I32, I64, I32, I64, I32];
}

/** preadv2(2) with O_DIRECT, optionally RWF_HIPRI — what fio calls `pvsync2`. */
export class Psync2Engine implements IoEngine {
  readonly name = 'psync2' as const;
  readonly blockSize: number;
  readonly pollRequested: boolean;
  readonly data: Buffer;
  private readonly fd: number;
  private readonly memory: NativeMemory;
  private readonly readCall: BoundCall;
  private readonly noopCall: BoundCall;
  private readonly emptyCall: BoundCall;
  private closed = false;

  constructor(opts: EngineOptions) {
    this.blockSize = opts.blockSize;
    this.pollRequested = opts.hipri;
    this.fd = openReadOnly(opts.path, { direct: true });
    try {
      // One mapping: the iovec in the first page, the data buffer page-aligned after it.
      this.memory = mapAligned(PAGE_SIZE + opts.blockSize);
    } catch (err) {
      closeFd(this.fd);
      throw err;
    }
    const iov = this.memory.address;
    this.memory.view.writeBigUInt64LE(BigInt(iov + PAGE_SIZE), 0);
    this.memory.view.writeBigUInt64LE(BigInt(opts.blockSize), 8);
    this.data = this.memory.view.subarray(PAGE_SIZE, PAGE_SIZE + opts.blockSize);
    const flags = opts.hipri ? RWF_HIPRI : 0;
    const shape = preadv2Shape();
    this.readCall = new BoundCall('preadv2', shape, [this.fd, iov, 1, 0, flags]);
    this.emptyCall = new BoundCall('preadv2', shape, [this.fd, iov, 0, 0, flags]);
    // labs(3) with preadv2's argument list: identical marshalling in ffi-rs, no kernel entry.
    // The extra arguments travel in registers the callee ignores (x86_64 SysV, AAPCS64).
    this.noopCall = new BoundCall('labs', shape, [this.fd, iov, 1, 0, flags]);
  }

  read(offset: number): void {
    const args = this.readCall.args;
    args[3] = offset;
    const n = this.readCall.invoke();
    if (n !== this.blockSize) this.fail(n, offset);
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
    closeFd(this.fd);
    this.memory.free();
  }

  private fail(n: number, offset: number): void {
    // Re-issue once with errno capture: a failing read fails the same way again, and the hot
    // path stays free of the dearer errno variant. A retry that succeeds was transient.
    const again = n < 0 ? this.readCall.invokeWithErrno() : { value: n, errno: 0 };
    if (again.value === this.blockSize) return;
    if (again.value >= 0) throw new NativeError('preadv2', 0, `at offset ${offset}`, `short read: ${again.value} of ${this.blockSize} bytes`);
    throw new NativeError('preadv2', again.errno, `at offset ${offset}`);
  }
}

export const PSYNC2: EngineDescriptor = {
  name: 'psync2',
  choosable: true,
  reads: 'preadv2',
  help: 'preadv2',
  auto: 'otherwise',
  fio: { ioengine: 'pvsync2', pollOption: 'hipri' },
  syscall: 'preadv2',
  polling: 'RWF_HIPRI',
  options: ['hipri'],
  open: (target, opts) => new Psync2Engine({ ...target, hipri: opts.poll }),
};

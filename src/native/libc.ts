import { createRequire } from 'node:module';
import type * as FfiRs from 'ffi-rs';
import { archConstants, BLKGETSIZE64, BLKSSZGET, MAP_ANONYMOUS, MAP_PRIVATE, MAP_POPULATE, MAP_SHARED, O_CLOEXEC, O_RDONLY, PAGE_SIZE, PROT_READ, PROT_WRITE } from './arch.js';
import { ERRNO, NativeError } from './native-error.js';

// ffi-rs resolves symbols by library key; an empty path dlopens the running process,
// whose libc Node itself uses.
const LIBC = 'nvprobe-libc';

export type FieldType = FfiRs.FieldType;
type JsExternal = FfiRs.JsExternal;

// ffi-rs loads its native addon when it is loaded, so it is loaded on first use only: after
// archConstants() has refused an unsupported architecture, and never by the commands that only
// read what the engines are (help, report), however many modules they import.
let ffi: typeof FfiRs | undefined;
let load: typeof FfiRs.load;
let DataType: typeof FfiRs.DataType;
function ensureOpen(): typeof FfiRs {
  if (ffi) return ffi;
  archConstants(); // refuse unsupported architectures before touching any ABI
  const lib = createRequire(import.meta.url)('ffi-rs') as typeof FfiRs;
  lib.open({ library: LIBC, path: '' });
  load = lib.load;
  DataType = lib.DataType;
  ffi = lib;
  return lib;
}

/** ffi-rs's argument types (loading it on first use). */
export function dataTypes(): typeof FfiRs.DataType {
  ensureOpen();
  return DataType;
}

/**
 * A libc call whose argument array is reused across calls, so the hot path allocates nothing
 * of ours: mutate `args[i]` and `invoke()`. Returns the raw C return value (-1 on failure).
 */
export class BoundCall {
  readonly args: unknown[];
  private readonly params: Parameters<typeof load>[0];
  private readonly withErrno: Parameters<typeof load>[0];

  constructor(
    readonly funcName: string,
    paramsType: FieldType[],
    args: unknown[],
    retType?: FieldType,
  ) {
    ensureOpen();
    this.args = args;
    this.params = { library: LIBC, funcName, retType: retType ?? DataType.I64, paramsType, paramsValue: args, freeResultMemory: false };
    this.withErrno = { ...this.params, errno: true };
  }

  invoke(): number {
    return load(this.params) as unknown as number;
  }

  /** The same call, also returning errno. About 1 µs dearer, so only used off the hot path. */
  invokeWithErrno(): { value: number; errno: number } {
    const r = load(this.withErrno) as unknown as { value: number; errnoCode: number };
    return { value: r.value, errno: r.errnoCode };
  }
}

function call(funcName: string, paramsType: FieldType[], args: unknown[], retType?: FieldType) {
  ensureOpen();
  const r = load({ library: LIBC, funcName, retType: retType ?? DataType.I64, paramsType, paramsValue: args, errno: true, freeResultMemory: false }) as unknown as {
    value: number;
    errnoCode: number;
  };
  return { value: r.value, errno: r.errnoCode };
}

/** open(2) read-only; O_DIRECT when asked. Targets are never opened for writing. */
export function openReadOnly(path: string, opts: { direct: boolean }): number {
  const flags = O_RDONLY | O_CLOEXEC | (opts.direct ? archConstants().O_DIRECT : 0);
  ensureOpen();
  const r = call('open', [DataType.String, DataType.I32, DataType.I32], [path, flags, 0], DataType.I32);
  if (r.value < 0) throw new NativeError('open', r.errno, path, opts.direct ? 'O_DIRECT' : undefined);
  return r.value;
}

export function closeFd(fd: number): void {
  ensureOpen();
  call('close', [DataType.I32], [fd], DataType.I32);
}

/** Page-aligned anonymous memory with a zero-copy Buffer view and its address (for iovecs, ioctls). */
export interface NativeMemory {
  readonly address: number;
  readonly length: number;
  readonly view: Buffer;
  free(): void;
}

export function mapAligned(length: number): NativeMemory {
  ensureOpen();
  const len = Math.ceil(length / PAGE_SIZE) * PAGE_SIZE;
  const mmapArgs = [0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0];
  const mmapTypes = [DataType.I64, DataType.I64, DataType.I32, DataType.I32, DataType.I32, DataType.I64];
  const ext = load({ library: LIBC, funcName: 'mmap', retType: DataType.External, paramsType: mmapTypes, paramsValue: mmapArgs, freeResultMemory: false }) as unknown as JsExternal;
  // memset(p, 0, 0) touches nothing and hands the pointer back as a number.
  const address = load({
    library: LIBC,
    funcName: 'memset',
    retType: DataType.I64,
    paramsType: [DataType.External, DataType.I32, DataType.I64],
    paramsValue: [ext, 0, 0],
    freeResultMemory: false,
  }) as unknown as number;
  if (address === -1 || address === 0) throw new NativeError('mmap', 12, `${len} bytes`);
  return mappedMemory(ext, address, len);
}

/**
 * A MAP_SHARED mapping of `length` bytes of an fd at `offset` (e.g. an io_uring's rings),
 * populated up front so the first access does not fault. Read and write.
 */
export function mapShared(fd: number, length: number, offset: number, subject: string): NativeMemory {
  ensureOpen();
  const len = Math.ceil(length / PAGE_SIZE) * PAGE_SIZE;
  const mmapTypes = [DataType.I64, DataType.I64, DataType.I32, DataType.I32, DataType.I32, DataType.I64];
  const r = call('mmap', mmapTypes, [0, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset]);
  if (r.value === -1) throw new NativeError('mmap', r.errno, subject);
  // memset(p, 0, 0) declared the other way round: the address as a number in, a pointer out.
  const ext = load({
    library: LIBC,
    funcName: 'memset',
    retType: DataType.External,
    paramsType: [DataType.I64, DataType.I32, DataType.I64],
    paramsValue: [r.value, 0, 0],
    freeResultMemory: false,
  }) as unknown as JsExternal;
  return mappedMemory(ext, r.value, len);
}

function mappedMemory(ext: JsExternal, address: number, len: number): NativeMemory {
  const view = ensureOpen().createExternalBuffer(ext, len);
  let freed = false;
  return {
    address,
    length: len,
    view,
    free() {
      if (freed) return;
      freed = true;
      call('munmap', [DataType.I64, DataType.I64], [address, len], DataType.I32);
    },
  };
}

/** Size in bytes and logical block size of an open block device (BLKGETSIZE64, BLKSSZGET). */
export function blockDeviceGeometry(fd: number, subject: string): { sizeBytes: number; logicalBlockSize: number } {
  const scratch = mapAligned(PAGE_SIZE);
  try {
    const ioctlTypes = [DataType.I32, DataType.I64, DataType.I64];
    let r = call('ioctl', ioctlTypes, [fd, BLKGETSIZE64, scratch.address], DataType.I32);
    if (r.value < 0) throw new NativeError('ioctl(BLKGETSIZE64)', r.errno, subject);
    const sizeBytes = Number(scratch.view.readBigUInt64LE(0));
    r = call('ioctl', ioctlTypes, [fd, BLKSSZGET, scratch.address + 8], DataType.I32);
    if (r.value < 0) throw new NativeError('ioctl(BLKSSZGET)', r.errno, subject);
    return { sizeBytes, logicalBlockSize: scratch.view.readInt32LE(8) };
  } finally {
    scratch.free();
  }
}

/** Pin the calling thread (Node's main thread, which issues every I/O) to one CPU. */
export function pinToCpu(cpu: number): void {
  const scratch = mapAligned(PAGE_SIZE);
  try {
    const maskBytes = 128; // room for 1024 CPUs, as glibc's cpu_set_t
    scratch.view.fill(0, 0, maskBytes);
    scratch.view[cpu >> 3] = 1 << (cpu & 7);
    const r = call('sched_setaffinity', [DataType.I32, DataType.I64, DataType.I64], [0, maskBytes, scratch.address], DataType.I32);
    if (r.value < 0) throw new NativeError('sched_setaffinity', r.errno, `cpu ${cpu}`);
  } finally {
    scratch.free();
  }
}

const LOCK_EX = 2;
const LOCK_NB = 4;

/**
 * flock(fd, LOCK_EX|LOCK_NB): true when taken, false when another open file holds it. The
 * kernel drops the lock when its holder exits, however it exits (kill -9 included).
 */
export function tryLockExclusive(fd: number, subject: string): boolean {
  ensureOpen();
  const r = call('flock', [DataType.I32, DataType.I32], [fd, LOCK_EX | LOCK_NB], DataType.I32);
  if (r.value === 0) return true;
  if (r.errno === ERRNO.EWOULDBLOCK || r.errno === ERRNO.EAGAIN) return false;
  throw new NativeError('flock', r.errno, subject);
}

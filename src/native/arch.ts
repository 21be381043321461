import { NvprobeError } from '../errors.js';

/**
 * ABI constants that differ between architectures. Values from the kernel's uapi headers
 * (asm-generic/fcntl.h, arch/arm64/include/uapi/asm/fcntl.h, asm/unistd_64.h).
 */
export interface ArchConstants {
  readonly arch: 'x64' | 'arm64';
  readonly O_DIRECT: number;
  readonly O_DIRECTORY: number;
  readonly syscalls: { readonly io_uring_setup: number; readonly io_uring_enter: number; readonly io_uring_register: number };
}

// Same on every Linux architecture nvprobe supports.
export const O_RDONLY = 0;
export const O_CLOEXEC = 0o2000000;
export const RWF_HIPRI = 0x1;
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_ANONYMOUS = 0x20;
export const MAP_POPULATE = 0x8000;
export const BLKSSZGET = 0x1268; // _IO(0x12,104)
export const BLKGETSIZE64 = 0x80081272; // _IOR(0x12,114,size_t)
export const PAGE_SIZE = 4096;

const TABLE: Record<string, ArchConstants> = {
  x64: {
    arch: 'x64',
    O_DIRECT: 0o40000,
    O_DIRECTORY: 0o200000,
    syscalls: { io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427 },
  },
  arm64: {
    arch: 'arm64',
    O_DIRECT: 0o200000,
    O_DIRECTORY: 0o40000,
    syscalls: { io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427 },
  },
};

export function archConstants(arch: string = process.arch): ArchConstants {
  const found = TABLE[arch];
  if (!found) {
    throw new NvprobeError(`unsupported architecture '${arch}': nvprobe knows the O_DIRECT and syscall constants of x86_64 and aarch64 only`, {
      hint: 'run nvprobe on an x86_64 or aarch64 guest',
    });
  }
  return found;
}

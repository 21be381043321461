import { constants } from 'node:os';

const NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, num]) => [num as number, name]));

export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `errno ${errno}`;
}

/** A failed libc call: which call, on what, and the errno the kernel gave. */
export class NativeError extends Error {
  readonly syscall: string;
  readonly errno: number;
  readonly code: string;
  readonly subject?: string;
  constructor(syscall: string, errno: number, subject?: string, detail?: string) {
    const code = errnoName(errno);
    super(`${syscall}${subject ? ` ${subject}` : ''} failed: ${code}${detail ? ` (${detail})` : ''}`);
    this.name = 'NativeError';
    this.syscall = syscall;
    this.errno = errno;
    this.code = code;
    this.subject = subject;
  }
}

export const ERRNO = constants.errno;

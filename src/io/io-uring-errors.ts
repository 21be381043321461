import { kernelAtLeast } from '../host/kernel-version.js';
import { ExitCode, NvprobeError } from '../errors.js';
import { ERRNO, NativeError } from '../native/native-error.js';

export type IoUringStage = 'setup' | 'first-read';

/**
 * io_uring itself (or IOPOLL) cannot serve this target — as opposed to a target that fails
 * every engine. Thrown by IoUringEngine's constructor: `setup` for io_uring_setup or the ring
 * mmaps, `first-read` when the engine's check read at offset 0 is refused with EOPNOTSUPP or
 * EINVAL (IOPOLL without poll queues shows only there, not at setup).
 */
export class IoUringError extends NativeError {
  readonly stage: IoUringStage;
  readonly pollRequested: boolean;
  constructor(stage: IoUringStage, cause: NativeError, pollRequested: boolean) {
    super(cause.syscall, cause.errno, cause.subject);
    this.name = 'IoUringError';
    this.stage = stage;
    this.pollRequested = pollRequested;
    this.cause = cause;
  }
}

/** What the host says about io_uring, read by the caller (through a Root) when a diagnosis is needed. */
export interface IoUringHostFacts {
  /** /proc/sys/kernel/io_uring_disabled (Linux ≥ 6.6): '0', '1', '2'; null when absent. */
  ioUringDisabled: string | null;
  /** /proc/sys/kernel/io_uring_group: the gid allowed when io_uring_disabled=1 (-1: none). */
  ioUringGroup: string | null;
  kernel: { release: string; major: number; minor: number };
  /** The disk whose queue serves the target, for wording. */
  disk: string | null;
}

export type IoUringUnavailableReason = 'absent' | 'disabled' | 'restricted' | 'sandboxed' | 'memlock' | 'no-iopoll' | 'old-kernel' | 'other';

/** io_uring cannot be used for this probe, said for the user (exit 1). */
export class IoUringUnavailableError extends NvprobeError {
  readonly reason: IoUringUnavailableReason;
  readonly errno: number;
  constructor(reason: IoUringUnavailableReason, errno: number, message: string, hint: string, cause?: unknown) {
    super(message, { exitCode: ExitCode.failure, hint, cause });
    this.name = 'IoUringUnavailableError';
    this.reason = reason;
    this.errno = errno;
  }
}

const PSYNC2_HINT = 'use --engine psync2';

/** Map an IoUringError and the host's io_uring settings to a reason, a message and a hint. */
export function explainIoUringError(err: IoUringError, facts: IoUringHostFacts): IoUringUnavailableError {
  const e = (reason: IoUringUnavailableReason, message: string, hint: string) => new IoUringUnavailableError(reason, err.errno, message, hint, err);
  const { release } = facts.kernel;
  const where = facts.disk ?? 'the target';
  if (err.stage === 'first-read') {
    if (err.errno === ERRNO.EOPNOTSUPP && err.pollRequested) {
      return e(
        'no-iopoll',
        `polled io_uring reads (IORING_SETUP_IOPOLL) of ${where} fail with EOPNOTSUPP: its queue has no poll queues, or the filesystem or driver cannot poll`,
        'poll queues come from nvme.poll_queues / virtio_blk.poll_queues (queue/io_poll=1 shows them); without them use interrupt completion',
      );
    }
    if (err.errno === ERRNO.EINVAL && kernelAtLeast({ ...facts.kernel, patch: 0 }, '5.6') === false) {
      return e('old-kernel', `io_uring reads (IORING_OP_READ) need Linux 5.6 or later; this kernel is ${release}`, PSYNC2_HINT);
    }
    return e('other', `io_uring reads of ${where} fail with ${err.code}`, PSYNC2_HINT);
  }
  if (err.syscall !== 'io_uring_setup') return e('other', `setting up io_uring failed: ${err.message}`, PSYNC2_HINT);
  switch (err.errno) {
    case ERRNO.ENOSYS:
      return e('absent', `this kernel (${release}) has no io_uring (io_uring_setup: ENOSYS): built without CONFIG_IO_URING, older than 5.1, or hidden by a seccomp filter`, PSYNC2_HINT);
    case ERRNO.EPERM:
      if (facts.ioUringDisabled === '2') {
        return e('disabled', 'io_uring is disabled on this system (kernel.io_uring_disabled=2)', `${PSYNC2_HINT}, or allow io_uring: sysctl -w kernel.io_uring_disabled=0`);
      }
      if (facts.ioUringDisabled === '1') {
        const group = facts.ioUringGroup && facts.ioUringGroup !== '-1' ? `group ${facts.ioUringGroup} (kernel.io_uring_group)` : 'no group (kernel.io_uring_group=-1)';
        return e('restricted', `io_uring is restricted to CAP_SYS_ADMIN and ${group} (kernel.io_uring_disabled=1)`, `run nvprobe as root, or ${PSYNC2_HINT}`);
      }
      return e(
        'sandboxed',
        `io_uring_setup was refused with EPERM although kernel.io_uring_disabled is ${facts.ioUringDisabled ?? 'absent'}: a seccomp filter or security module (container runtime, systemd SystemCallFilter, SELinux) blocks io_uring`,
        `${PSYNC2_HINT}, or allow the io_uring syscalls in the sandbox`,
      );
    case ERRNO.ENOMEM:
      return e('memlock', 'io_uring_setup: ENOMEM: the ring did not fit RLIMIT_MEMLOCK (kernels before 5.12 count ring memory there)', `raise the limit (ulimit -l), or ${PSYNC2_HINT}`);
    default:
      return e('other', `io_uring_setup failed: ${err.code}`, PSYNC2_HINT);
  }
}

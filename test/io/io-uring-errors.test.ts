import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { explainIoUringError, IoUringError, IoUringUnavailableError, type IoUringHostFacts } from '../../src/io/io-uring-errors.js';
import { NativeError } from '../../src/native/native-error.js';

// The kernel's answers cannot all be provoked on one machine without changing its sysctls
// (which other work here relies on), so the mapping from errno + settings is checked directly.
const E = constants.errno;
const facts = (over: Partial<IoUringHostFacts> = {}): IoUringHostFacts => ({
  ioUringDisabled: '0',
  ioUringGroup: '-1',
  kernel: { release: '6.8.0-45-generic', major: 6, minor: 8 },
  disk: 'nvme0n1',
  ...over,
});
const setupFailure = (errno: number) => new IoUringError('setup', new NativeError('io_uring_setup', errno), false);
const readFailure = (errno: number, poll: boolean) => new IoUringError('first-read', new NativeError('io_uring read', errno, 'at offset 0'), poll);

describe('why io_uring cannot be used, in words', () => {
  it('ENOSYS: no io_uring in this kernel', () => {
    const e = explainIoUringError(setupFailure(E.ENOSYS), facts({ kernel: { release: '4.19.0', major: 4, minor: 19 } }));
    expect(e).toBeInstanceOf(IoUringUnavailableError);
    expect(e.reason).toBe('absent');
    expect(e.errno).toBe(E.ENOSYS);
    expect(e.exitCode).toBe(ExitCode.failure);
    expect(e.message).toMatch(/kernel \(4\.19\.0\) has no io_uring \(io_uring_setup: ENOSYS\)/);
    expect(e.hint).toMatch(/--engine psync2/);
  });

  it('EPERM with kernel.io_uring_disabled=2: disabled, with the sysctl to change', () => {
    const e = explainIoUringError(setupFailure(E.EPERM), facts({ ioUringDisabled: '2' }));
    expect(e.reason).toBe('disabled');
    expect(e.message).toBe('io_uring is disabled on this system (kernel.io_uring_disabled=2)');
    expect(e.hint).toMatch(/sysctl -w kernel\.io_uring_disabled=0/);
  });

  it('EPERM with kernel.io_uring_disabled=1: restricted, naming the group (or its absence)', () => {
    const withGroup = explainIoUringError(setupFailure(E.EPERM), facts({ ioUringDisabled: '1', ioUringGroup: '1042' }));
    expect(withGroup.reason).toBe('restricted');
    expect(withGroup.message).toMatch(/CAP_SYS_ADMIN and group 1042 \(kernel\.io_uring_group\)/);
    const noGroup = explainIoUringError(setupFailure(E.EPERM), facts({ ioUringDisabled: '1', ioUringGroup: '-1' }));
    expect(noGroup.message).toMatch(/no group \(kernel\.io_uring_group=-1\)/);
    expect(noGroup.hint).toMatch(/run nvprobe as root/);
  });

  it('EPERM although the sysctl allows io_uring (or has none): a sandbox', () => {
    expect(explainIoUringError(setupFailure(E.EPERM), facts({ ioUringDisabled: '0' })).reason).toBe('sandboxed');
    const old = explainIoUringError(setupFailure(E.EPERM), facts({ ioUringDisabled: null }));
    expect(old.reason).toBe('sandboxed');
    expect(old.message).toMatch(/kernel\.io_uring_disabled is absent: a seccomp filter/);
  });

  it('ENOMEM: RLIMIT_MEMLOCK on old kernels', () => {
    expect(explainIoUringError(setupFailure(E.ENOMEM), facts()).reason).toBe('memlock');
  });

  it('EOPNOTSUPP at the first polled read: no poll queues, naming the disk', () => {
    const e = explainIoUringError(readFailure(E.EOPNOTSUPP, true), facts({ disk: 'vda' }));
    expect(e.reason).toBe('no-iopoll');
    expect(e.message).toMatch(/IORING_SETUP_IOPOLL\) of vda fail with EOPNOTSUPP/);
    expect(e.hint).toMatch(/poll_queues/);
  });

  it('EINVAL at the first read on a kernel before 5.6: IORING_OP_READ is missing', () => {
    const e = explainIoUringError(readFailure(E.EINVAL, false), facts({ kernel: { release: '5.4.0-150-generic', major: 5, minor: 4 } }));
    expect(e.reason).toBe('old-kernel');
    expect(e.message).toMatch(/need Linux 5\.6 or later; this kernel is 5\.4\.0-150-generic/);
    // The same errno on a current kernel is not blamed on its age.
    expect(explainIoUringError(readFailure(E.EINVAL, false), facts()).reason).toBe('other');
  });

  it('anything else keeps the errno name', () => {
    const e = explainIoUringError(setupFailure(E.EFAULT), facts());
    expect(e.reason).toBe('other');
    expect(e.message).toBe('io_uring_setup failed: EFAULT');
  });
});

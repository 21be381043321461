import { describe, expect, it } from 'vitest';
import { hipriNotUsed, hipriPolled, iopollRefused, iopollVerdict, neverPolled, planEngine } from '../../src/measure/engine-plan.js';

const polling = { disk: 'nvme0n1', ioPoll: true };
const interrupt = { disk: 'vda', ioPoll: false };
const unknown = { disk: 'sdb', ioPoll: null };

describe('which engine a probe uses', () => {
  it('auto: io_uring with IOPOLL exactly where the queue has poll queues, else psync2', () => {
    expect(planEngine('auto', polling, true)).toEqual({ engine: 'io_uring', poll: true, why: 'auto: nvme0n1 has poll queues (queue/io_poll=1)' });
    expect(planEngine('auto', interrupt, true)).toEqual({ engine: 'psync2', poll: true, why: 'auto: vda has no poll queues (queue/io_poll=0)' });
    expect(planEngine('auto', unknown, true).engine).toBe('psync2');
    expect(planEngine('auto', null, true)).toEqual({ engine: 'psync2', poll: true, why: 'auto: the target is not on a block device nvprobe can inspect' });
  });

  it('auto with --no-hipri: psync2 even where the queue polls', () => {
    expect(planEngine('auto', polling, false)).toEqual({ engine: 'psync2', poll: false, why: 'auto: --no-hipri is a psync2 setting' });
  });

  it('explicit io_uring: IOPOLL only where the queue polls; explicit psync2 stays psync2', () => {
    expect(planEngine('io_uring', polling, true)).toMatchObject({ engine: 'io_uring', poll: true });
    expect(planEngine('io_uring', interrupt, true)).toMatchObject({ engine: 'io_uring', poll: false });
    expect(planEngine('io_uring', unknown, true)).toMatchObject({ engine: 'io_uring', poll: false });
    expect(planEngine('io_uring', null, true)).toMatchObject({ engine: 'io_uring', poll: false });
    expect(planEngine('psync2', polling, true)).toEqual({ engine: 'psync2', poll: true, why: '--engine psync2' });
    expect(planEngine('psync2', polling, false).poll).toBe(false);
  });
});

describe('the polled verdict', () => {
  it('io_uring: polled with IOPOLL on a polling queue, else interrupt completion with the queue named', () => {
    expect(iopollVerdict(polling, true)).toEqual({ polled: true, reason: 'IORING_SETUP_IOPOLL on nvme0n1 which has poll queues (queue/io_poll=1)' });
    expect(iopollVerdict(interrupt, false)).toEqual({ polled: false, reason: 'vda has no poll queues (queue/io_poll=0): interrupt completion' });
    expect(iopollVerdict(unknown, false).reason).toBe('sdb: queue/io_poll unreadable, polling not attempted: interrupt completion');
    expect(iopollVerdict(null, false).polled).toBe(false);
  });

  it('io_uring: IOPOLL refused by the kernel is never reported as polled', () => {
    const v = iopollRefused(polling, 'EOPNOTSUPP');
    expect(v.polled).toBe(false);
    expect(v.reason).toMatch(/nvme0n1 were refused \(EOPNOTSUPP\) although queue\/io_poll=1.*interrupt completion/);
  });

  it('psync2 polls exactly when RWF_HIPRI is effective; io_uring does not use HIPRI', () => {
    expect(hipriPolled({ requested: true, effective: false, reason: 'r' })).toEqual({ polled: false, reason: 'r' });
    expect(hipriPolled({ requested: true, effective: true, reason: 'ok' })).toEqual({ polled: true, reason: 'ok' });
    expect(hipriNotUsed('io_uring')).toEqual({ requested: false, effective: false, reason: 'not used by the io_uring engine' });
    expect(neverPolled('null')).toEqual({ polled: false, reason: 'the null engine cannot poll: interrupt completion' });
  });
});

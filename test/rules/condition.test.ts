import { describe, expect, it } from 'vitest';
import { evaluateCondition, parseCondition, type ConditionProblem } from '../../src/rules/condition.js';
import type { Evidence } from '../../src/contracts/rule-types.js';

const scope = {
  kernel: { release: '6.1.0-18-cloud-amd64', version: { major: 6, minor: 1, patch: 0 } },
  hypervisor: { kind: 'kvm' },
  cpus: { online: [0, 1, 2, 3] },
  disk: { name: 'vda', transport: 'virtio-blk', settings: { scheduler: 'mq-deadline', rotational: true }, queues: { hwQueues: 1, ioPoll: null } },
};
const known = new Set([
  'kernel.release',
  'kernel.version',
  'hypervisor.kind',
  'cpus.online',
  'cpus.online.length',
  'disk.name',
  'disk.transport',
  'disk.settings.scheduler',
  'disk.settings.rotational',
  'disk.queues.hwQueues',
  'disk.queues.ioPoll',
]);
const exists = (p: string) => known.has(p);

function cond(raw: unknown) {
  const problems: ConditionProblem[] = [];
  const c = parseCondition(raw, 'check', exists, problems);
  expect(problems).toEqual([]);
  return c!;
}
function holds(raw: unknown): boolean {
  return evaluateCondition(cond(raw), scope, []);
}
function problemsOf(raw: unknown): string[] {
  const problems: ConditionProblem[] = [];
  parseCondition(raw, 'check', exists, problems);
  return problems.map((p) => `${p.at}: ${p.message}`);
}

describe('rule conditions', () => {
  it('compare fields with every operator', () => {
    expect(holds({ field: 'hypervisor.kind', equals: 'kvm' })).toBe(true);
    expect(holds({ field: 'hypervisor.kind', notEquals: 'kvm' })).toBe(false);
    expect(holds({ field: 'disk.transport', in: ['nvme', 'virtio-blk'] })).toBe(true);
    expect(holds({ field: 'disk.transport', notIn: ['nvme'] })).toBe(true);
    expect(holds({ field: 'disk.queues.hwQueues', lt: 2 })).toBe(true);
    expect(holds({ field: 'disk.queues.hwQueues', gte: 2 })).toBe(false);
    expect(holds({ field: 'disk.queues.hwQueues', range: [1, 4] })).toBe(true);
    expect(holds({ field: 'disk.queues.hwQueues', lt: { field: 'cpus.online.length' } })).toBe(true);
    expect(holds({ field: 'kernel.version', versionAtLeast: '5.19' })).toBe(true);
    expect(holds({ field: 'kernel.release', versionBelow: '6.2' })).toBe(true);
    expect(holds({ field: 'kernel.release', versionBelow: '6.1' })).toBe(false);
    expect(holds({ field: 'kernel.release', contains: 'cloud' })).toBe(true);
    expect(holds({ field: 'cpus.online', contains: 3 })).toBe(true);
    expect(holds({ field: 'disk.settings.rotational', equals: true })).toBe(true);
  });

  it('combine with all / any / not', () => {
    expect(holds({ all: [{ field: 'hypervisor.kind', equals: 'kvm' }, { not: { field: 'disk.transport', equals: 'nvme' } }] })).toBe(true);
    expect(
      holds({
        any: [
          { field: 'hypervisor.kind', equals: 'xen' },
          { field: 'disk.queues.hwQueues', equals: 1 },
        ],
      }),
    ).toBe(true);
    expect(
      holds({
        any: [
          { field: 'hypervisor.kind', equals: 'xen' },
          { field: 'disk.queues.hwQueues', equals: 2 },
        ],
      }),
    ).toBe(false);
  });

  it('never fire on an unknown value, except exists: false', () => {
    expect(holds({ field: 'disk.queues.ioPoll', equals: false })).toBe(false);
    expect(holds({ field: 'disk.queues.ioPoll', notEquals: true })).toBe(false);
    expect(holds({ field: 'disk.queues.ioPoll', notIn: [true] })).toBe(false);
    expect(holds({ field: 'disk.queues.ioPoll', exists: false })).toBe(true);
    expect(holds({ field: 'disk.queues.ioPoll', exists: true })).toBe(false);
  });

  it('record the fields and values that decided, once each', () => {
    const evidence: Evidence[] = [];
    evaluateCondition(
      cond({
        all: [
          { field: 'disk.queues.hwQueues', lt: { field: 'cpus.online.length' } },
          { field: 'disk.queues.hwQueues', gte: 1 },
        ],
      }),
      scope,
      evidence,
    );
    expect(evidence).toEqual([
      { field: 'disk.queues.hwQueues', value: 1 },
      { field: 'cpus.online.length', value: 4 },
    ]);
  });

  it('refuse unknown fields, unknown keys, wrong types, and mixed forms, saying where', () => {
    expect(problemsOf({ field: 'disk.nosuch', equals: 1 })).toEqual(["check.field: no such Snapshot field 'disk.nosuch'"]);
    expect(problemsOf({ field: 'disk.transport', eq: 'x' })[0]).toMatch(/^check: unknown key eq/);
    expect(problemsOf({ field: 'disk.transport' })[0]).toMatch(/exactly one comparison/);
    expect(problemsOf({ field: 'disk.transport', equals: 'a', in: ['b'] })[0]).toMatch(/exactly one comparison/);
    expect(problemsOf({ field: 'disk.transport', in: 'virtio-blk' })).toEqual(['check.in: must be a non-empty list']);
    expect(problemsOf({ field: 'kernel.version', versionAtLeast: 'five' })[0]).toMatch(/version string/);
    expect(problemsOf({ field: 'disk.queues.hwQueues', lt: 'two' })[0]).toMatch(/must be a number/);
    expect(problemsOf({ field: 'disk.queues.hwQueues', lt: { field: 'cpus.nosuch' } })[0]).toMatch(/check.lt: no such Snapshot field 'cpus.nosuch'/);
    expect(problemsOf({ all: [] })).toEqual(['check.all: must be a non-empty list of conditions']);
    expect(problemsOf({ all: [{ field: 'x', equals: 1 }] })).toEqual(["check.all[0].field: no such Snapshot field 'x'"]);
    expect(problemsOf({ not: { field: 'hypervisor.kind', equals: 'kvm' }, field: 'x' })[0]).toMatch(/'not' stands alone/);
    expect(problemsOf('kvm')[0]).toMatch(/must be a mapping/);
    expect(problemsOf({ field: 'hypervisor.kind', equals: { eval: 'process.exit()' } })[0]).toMatch(/must be a string, number, boolean, null or \{field: path\}/);
  });
});

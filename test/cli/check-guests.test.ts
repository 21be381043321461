import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fixtureRoot, QEMU_POLL0_FIXTURE, removeTemp } from '../helpers/fixtures.js';
import { bareMetalTree, xenGuestTree } from '../helpers/guest-trees.js';

interface JsonFinding {
  id: string;
  status: string;
  severity: string;
  title: string;
  rationale: string;
  references: string[];
  actions: Array<{ kind: string; target: string; value: unknown; runtime: boolean }>;
}

const temps: string[] = [];
afterAll(() => temps.forEach(removeTemp));
async function check(dir: string): Promise<Record<string, JsonFinding>> {
  const r = await runCli(['check', '--root', dir, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.stdout) as { schemaVersion: number; findings: JsonFinding[] };
  expect(doc.schemaVersion).toBe(1);
  return Object.fromEntries(doc.findings.map((f) => [f.id, f]));
}

describe('nvprobe check on guests that are not KVM', () => {
  it('a Xen guest: scheduler none for xen-blkfront, and why cpuidle-haltpoll is out of reach', async () => {
    const dir = xenGuestTree({ scheduler: 'none [mq-deadline]' });
    temps.push(dir);
    const f = await check(dir);
    const s = f['scheduler-not-none:xvda']!;
    expect(s.status).toBe('recommend');
    expect(s.title).toBe('xvda: I/O scheduler is mq-deadline, not none');
    expect(s.actions).toEqual([expect.objectContaining({ kind: 'queue-attr', target: 'xvda:queue/scheduler', value: 'none', runtime: true })]);
    expect(s.rationale).toMatch(/xen-blkfront/);
    const h = f['haltpoll-needs-kvm']!;
    expect(h).toMatchObject({ status: 'info', severity: 'info', actions: [] });
    expect(h.title).toBe('cpuidle-haltpoll cannot be used here: not a KVM guest (hypervisor: xen)');
    expect(h.rationale).toMatch(/kvm_para_available\(\)/);
    expect(h.rationale).toContain('the cpuidle driver is none');
    expect(h.references.length).toBeGreaterThan(1);
    // None of the KVM haltpoll rules speaks on a Xen guest.
    for (const id of ['haltpoll-driver-not-loaded', 'haltpoll-polling-disabled', 'haltpoll-governor-not-built', 'kvm-hint-dedicated-missing']) expect(f[id]!.status, id).toBe('n/a');
  });

  it('a Xen disk already on none: ok, and the title says none', async () => {
    const dir = xenGuestTree({ scheduler: '[none] mq-deadline' });
    temps.push(dir);
    const s = (await check(dir))['scheduler-not-none:xvda']!;
    expect(s.status).toBe('ok');
    expect(s.title).toBe('xvda: I/O scheduler is none');
  });

  it('QEMU under TCG: no KVM paravirt, so the haltpoll info and no haltpoll recommendation', async () => {
    const f = await check(fixtureRoot(QEMU_POLL0_FIXTURE));
    expect(f['haltpoll-needs-kvm']).toMatchObject({ status: 'info', title: 'cpuidle-haltpoll cannot be used here: not a KVM guest (hypervisor: tcg)' });
    expect(Object.values(f).filter((x) => x.id.startsWith('haltpoll-') && x.status === 'recommend')).toEqual([]);
  });

  it('bare metal: no guest halt polling to speak of', async () => {
    const dir = bareMetalTree();
    temps.push(dir);
    const f = await check(dir);
    expect(f['haltpoll-needs-kvm']).toMatchObject({ status: 'info', title: 'cpuidle-haltpoll cannot be used here: not a KVM guest (hypervisor: none)' });
    expect(f['haltpoll-needs-kvm']!.rationale).toMatch(/bare metal/);
    expect(f['haltpoll-driver-not-loaded']!.status).toBe('n/a');
  });

  it('the captured KVM guest does not get it', async () => {
    const f = await check(fixtureRoot('kvm-virtio-1q-haltpoll'));
    expect(f['haltpoll-needs-kvm']!.status).toBe('n/a');
    expect(f['haltpoll-needs-kvm']!.title).not.toMatch(/cannot be used/);
  });
});

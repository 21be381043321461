import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fixtureRoot, KVM_FIXTURE, makeTemp, removeTemp } from '../helpers/fixtures.js';
import { asNobody } from '../helpers/unprivileged.js';

const tmp = makeTemp('nvprobe-check-');
afterAll(() => removeTemp(tmp));
const kvm = fixtureRoot(KVM_FIXTURE);

describe('nvprobe check', () => {
  it('groups findings for people: guest changes, host advice, fine', async () => {
    const r = await runCli(['check', '--root', kvm]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const guest = r.stdout.indexOf('Apply in the guest');
    const host = r.stdout.indexOf('Ask the host admin');
    const fine = r.stdout.indexOf('Fine (');
    expect(guest).toBeGreaterThanOrEqual(0);
    expect(host).toBeGreaterThan(guest);
    expect(fine).toBeGreaterThan(host);
    expect(r.stdout).toMatch(/change {4}haltpoll\.guest_halt_poll_ns = 200000 \(at once\)/);
    expect(r.stdout).toMatch(/evidence {2}disk\.settings\.scheduler = mq-deadline {2}\(\/sys\/block\/vda\/queue\/scheduler\)/);
    expect(r.stdout).toContain("queues='2'");
  });

  it('prints one JSON document with schemaVersion', async () => {
    const r = await runCli(['check', '--root', kvm, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schemaVersion: 1, kind: 'nvprobe.check' });
    expect(doc.summary.recommend).toBeGreaterThanOrEqual(3);
    const ids = doc.findings.filter((f: { status: string }) => f.status === 'recommend').map((f: { id: string }) => f.id);
    expect(ids).toEqual(expect.arrayContaining(['haltpoll-polling-disabled', 'scheduler-not-none:vda']));
    // vda has one queue: no poll queue is possible (virtio_blk keeps one for interrupts).
    expect(ids).not.toContain('poll-queues-missing-virtio-blk:vda');
  });

  it('--strict exits 5 when something is recommended', async () => {
    expect((await runCli(['check', '--root', kvm, '--strict'])).code).toBe(5);
  });

  it('runs live on this machine', async () => {
    const r = await runCli(['check', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).findings.length).toBeGreaterThan(10);
  });

  it('refuses a bad rules dir: one line naming file and rule, exit 2', async () => {
    const d = join(tmp, 'bad-rules');
    mkdirSync(d);
    writeFileSync(join(d, 'x.yaml'), 'rules:\n  - id: nope\n    title: t\n    severity: low\n    rationale: r\n    references: [x]\n    check: { field: no.such, equals: 1 }\n    status: info\n');
    const r = await runCli(['check', '--root', kvm, '--rules', d]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(`nvprobe: ${d}/x.yaml: rule 'nope': check.field: no such Snapshot field 'no.such'`);
    expect(r.stderr).toMatch(/^hint: no rule from an invalid file is used/m);
  });

  it('refuses a --rules that is a file, and a --root that is not a tree', async () => {
    const f = join(tmp, 'file');
    writeFileSync(f, 'x');
    expect((await runCli(['check', '--rules', f])).stderr).toMatch(/^nvprobe: .*file: is not a directory of rule files/);
    const r = await runCli(['check', '--root', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^nvprobe: --root .* is not a directory/);
  });

  it('an unreadable rules dir, for a user who cannot read it', async (ctx) => {
    const nobody = asNobody(ctx);
    const d = join(tmp, 'locked');
    mkdirSync(d);
    chmodSync(d, 0o000);
    chmodSync(tmp, 0o755);
    const r = await nobody.run(['rules', 'validate', d]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read rules directory \(EACCES\)/);
  });
});

describe('nvprobe rules', () => {
  it('list, show and validate the built-in rules', async () => {
    const list = await runCli(['rules', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^haltpoll-polling-disabled\s+machine\s+high\s+/m);
    const show = await runCli(['rules', 'show', 'scheduler-not-none']);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^ {4}check:\n {6}field: disk\.settings\.scheduler\n {6}notEquals: none$/m);
    const v = await runCli(['rules', 'validate']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^\d+ rules valid in 7 file\(s\)$/m);
  });

  it('show prints a rules file that validate accepts once the rule has an id of its own', async () => {
    const ids = (await runCli(['rules', 'list'])).stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[0]!);
    expect(ids.length).toBeGreaterThan(5);
    for (const id of ids) {
      const show = await runCli(['rules', 'show', id]);
      expect(show.code).toBe(0);
      const file = join(tmp, `copy-${id}.yaml`);
      writeFileSync(file, show.stdout.replace(`  - id: ${id}\n`, `  - id: copy-${id}\n`));
      const v = await runCli(['rules', 'validate', file]);
      expect(v.stderr, id).toBe('');
      expect(v.stdout, id).toBe('1 rule valid in 1 file(s)\n');
    }
  });

  it('show of an unknown id is a usage error', async () => {
    const r = await runCli(['rules', 'show', 'no-such-rule']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^nvprobe: no rule with id 'no-such-rule'/);
  });

  it('validate lists every problem and exits 2', async () => {
    const d = join(tmp, 'two-problems');
    mkdirSync(d);
    writeFileSync(join(d, 'a.yaml'), 'rules:\n  - id: a\n    title: t\n    severity: bad\n    rationale: r\n    references: [x]\n    check: { field: no.such, equals: 1 }\n    status: info\n');
    const r = await runCli(['rules', 'validate', d]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
    expect(r.stdout).toMatch(/0 rules valid in 0 file\(s\); 1 file\(s\) refused/);
  });
});

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BundleManifest } from '../../src/contracts/collect-document.js';
import type { ProbeReport } from '../../src/contracts/probe-document.js';
import { detectSnapshot } from '../../src/detect/snapshot.js';
import { Root } from '../../src/host/root.js';
import { compareConfiguration } from '../../src/report/compare-config.js';
import { compareFindings } from '../../src/report/compare-findings.js';
import { compareIdentity } from '../../src/report/compare-identity.js';
import { RANKING } from '../../src/report/compare-ranking.js';
import type { ReportModel } from '../../src/report/report-model.js';
import { evaluateRules } from '../../src/rules/evaluate.js';
import { defaultRuleDirs, loadRules } from '../../src/rules/load.js';
import { copyFixture, fixtureRoot, KVM_FIXTURE, QEMU_POLL0_FIXTURE, QEMU_POLL1_FIXTURE } from '../helpers/fixtures.js';

// What `report A B` ranks first: the ranking table itself, and the differences it finds between
// captured trees (the lab guests with poll queues off and on; the KVM guest and a copy edited to
// another cpuidle driver and scheduler), with the shipped rules' findings.

const rules = loadRules(defaultRuleDirs()).rules;
const edited: string[] = [];
afterAll(() => {
  for (const d of edited) rmSync(d, { recursive: true, force: true });
});

/** A bundle's report model of a captured tree: its snapshot and the shipped rules' findings. */
function bundleOf(tree: string, manifest: Partial<BundleManifest> | null = null): ReportModel {
  const snapshot = detectSnapshot(new Root(tree));
  return { source: `${tree}.tar.gz`, sourceKind: 'bundle', manifest: manifest as BundleManifest | null, snapshot, findings: evaluateRules(snapshot, rules), run: null, probe: null };
}

/** The KVM guest edited to cpuidle driver none (governor menu, no forcing on the command line) and vda's scheduler to none. */
function kvmWithoutHaltpoll(): string {
  const dir = copyFixture(KVM_FIXTURE);
  edited.push(dir);
  writeFileSync(join(dir, 'sys/devices/system/cpu/cpuidle/current_driver'), 'none\n');
  writeFileSync(join(dir, 'sys/devices/system/cpu/cpuidle/current_governor'), 'menu\n');
  writeFileSync(join(dir, 'sys/block/vda/queue/scheduler'), '[none] mq-deadline kyber bfq\n');
  return dir;
}

const rankOf = (key: string) => RANKING.findIndex((e) => e.key === key);

describe('the ranking table', () => {
  it('has one entry per key, each with a one-line reason', () => {
    expect(new Set(RANKING.map((e) => e.key)).size).toBe(RANKING.length);
    for (const e of RANKING) expect(e.why, e.key).toMatch(/^[^\n]{20,140}$/);
  });

  it('puts what moves a QD1 read by tens of µs (idle driver, haltpoll, poll queues, transport) before queue accounting and read-ahead', () => {
    const heavy = ['cpuidle.driver', 'haltpoll', 'disk.pollQueues', 'disk.transport', 'polled'];
    const light = ['disk.iostats', 'disk.readAhead', 'disk.addRandom', 'disk.writeCache', 'disk.scheduler'];
    for (const h of heavy) {
      expect(rankOf(h), h).toBeGreaterThanOrEqual(0);
      for (const l of light) expect(rankOf(h), `${h} before ${l}`).toBeLessThan(rankOf(l));
    }
    expect(rankOf('disk.readAhead')).toBeGreaterThan(rankOf('disk.iostats'));
  });
});

describe('configuration differences between captured trees', () => {
  it('another cpuidle driver is listed before a scheduler change, and the findings that follow from it differ', () => {
    const a = bundleOf(fixtureRoot(KVM_FIXTURE));
    const b = bundleOf(kvmWithoutHaltpoll());
    const c = compareConfiguration(a, b);
    expect(c.unknown).toEqual([]);
    expect(c.differences.map((d) => [d.label, d.subject, d.a, d.b])).toEqual([
      ['cpuidle driver', null, 'haltpoll', 'none'],
      ['cpuidle governor', null, 'haltpoll', 'menu'],
      ['scheduler', 'vda (measured)', 'mq-deadline', 'none'],
    ]);
    // The ranks rise down the list.
    const ranks = c.differences.map((d) => d.rank);
    expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
    expect(c.differences[0]).toMatchObject({ concerns: 'machine', acts: 'guest' });
    expect(c.differences[2]).toMatchObject({ concerns: 'measured-disk' });
    const f = compareFindings(a, b);
    expect(f.unknown).toBeNull();
    expect(f.differences).toContainEqual(expect.objectContaining({ id: 'haltpoll-driver-not-loaded', a: 'ok', b: 'recommend' }));
    // Only findings that fire on some side: nothing that is ok or n/a on both.
    for (const d of f.differences) expect([d.a, d.b].some((s) => s === 'recommend' || s === 'advise' || s === 'info')).toBe(true);
  });

  it('the lab guest without and with poll queues: poll queues of each disk first, then the boot parameters, then the queue count', () => {
    const c = compareConfiguration(bundleOf(fixtureRoot(QEMU_POLL0_FIXTURE)), bundleOf(fixtureRoot(QEMU_POLL1_FIXTURE)));
    const rows = c.differences.map((d) => `${d.subject ?? 'machine'}: ${d.label} ${d.a} → ${d.b}`);
    expect(rows.slice(0, 6)).toEqual([
      'nvme0n1: poll_queues 0 → 1',
      'vda: poll_queues 0 → 1',
      'nvme0n1: io_poll no → yes',
      'vda: io_poll no → yes',
      'machine: boot parameter nvme.poll_queues 0 → 1',
      'machine: boot parameter virtio_blk.poll_queues 0 → 1',
    ]);
    expect(rows).toContain('nvme0n1: hardware queues 2 → 3');
    // The lab's / is the initramfs: no disk was measured, every disk is just a disk.
    for (const d of c.differences) expect(d.concerns).not.toBe('measured-disk');
    // poll_queues is each disk's row, not repeated among the module parameters.
    expect(rows.filter((r) => r.includes('module parameter'))).toEqual([]);
  });

  it('a probe document against a bundle: only what a probe knows is compared, and it says so', () => {
    const b = bundleOf(fixtureRoot(QEMU_POLL1_FIXTURE));
    const probe = {
      kind: 'nvprobe.probe',
      kernel: { release: '6.18.44-fc-v595', arch: 'x86_64' },
      target: { disk: 'vda', kind: 'block' },
      engine: { name: 'psync2', polled: { polled: false, reason: 'interrupt' } },
    } as unknown as ProbeReport;
    const a: ReportModel = { source: 'probe.json', sourceKind: 'probe', manifest: null, snapshot: null, findings: null, run: null, probe };
    const c = compareConfiguration(a, b);
    // The bundle has no probe: what it measured, its engine and polling are unknown, so only the kernel compares.
    expect(c.differences.map((d) => [d.label, d.a, d.b])).toEqual([['kernel', '6.18.44-fc-v595', b.snapshot!.kernel.release]]);
    expect(c.unknown).toEqual([
      'A is a probe document without a snapshot of its configuration: only what it measured, whether its reads polled, its engine and its kernel release can be compared (a bundle has the rest)',
    ]);
    expect(compareFindings(a, b)).toEqual({ differences: [], unknown: 'findings not compared: A is a probe document (a bundle holds check.json)' });
  });

  it('two probe documents of different targets: what was measured is the first difference', () => {
    const probeOf = (disk: string, kind: 'block' | 'file', engine: string, polled: boolean): ReportModel => ({
      source: `${disk}.json`,
      sourceKind: 'probe',
      manifest: null,
      snapshot: null,
      findings: null,
      run: null,
      probe: { kernel: { release: '6.1.0', arch: 'x86_64' }, target: { disk, kind }, engine: { name: engine, polled: { polled, reason: '' } } } as unknown as ProbeReport,
    });
    const c = compareConfiguration(probeOf('vda', 'file', 'psync2', false), probeOf('nvme0n1', 'block', 'io_uring', true));
    expect(c.differences.map((d) => [d.label, d.a, d.b])).toEqual([
      ['measured', 'vda (a file on it)', 'nvme0n1 (the device)'],
      ['reads completed by', 'interrupt', 'polling'],
      ['engine', 'psync2', 'io_uring'],
    ]);
  });
});

describe('what each side measured', () => {
  const probeOf = (name: string, blockSize: number): ReportModel => ({
    source: name,
    sourceKind: 'probe',
    manifest: null,
    snapshot: null,
    findings: null,
    run: null,
    probe: {
      kernel: { release: '6.1.0', arch: 'x86_64' },
      target: { disk: 'vda', kind: 'file' },
      engine: { name: 'psync2', blockSize, polled: { polled: false, reason: '' } },
    } as unknown as ProbeReport,
  });

  it('two probes of the same file in other block sizes: the block size is a difference, ranked with what was measured', () => {
    const c = compareConfiguration(probeOf('a.json', 4096), probeOf('b.json', 262144));
    expect(c.differences.map((d) => [d.label, d.a, d.b])).toEqual([['block size', '4 KiB', '256 KiB']]);
    expect(c.differences[0]!.rank).toBe(rankOf('target') + 2);
    expect(c.unknown[0]).toMatch(/only what it measured, its block size, whether its reads polled, its engine and its kernel release can be compared/);
  });

  it('a saved tune run reads 4 KiB blocks: against a probe of 64 KiB, that differs', () => {
    const run = { source: 'run.json', sourceKind: 'run', manifest: null, snapshot: null, findings: null, probe: null, run: { target: null, engine: null } } as unknown as ReportModel;
    expect(
      compareConfiguration(run, probeOf('b.json', 65536))
        .differences.filter((d) => d.key === 'blockSize')
        .map((d) => [d.a, d.b]),
    ).toEqual([['4 KiB', '64 KiB']]);
  });
});

describe('one machine or two', () => {
  const tree = fixtureRoot(KVM_FIXTURE);
  const at = (createdAt: string, over: Partial<BundleManifest>) => bundleOf(tree, { createdAt, hostToken: '1a2b3c4d', redacted: true, ...over });

  it('by the machine token, not the host token or name', () => {
    expect(compareIdentity(at('T1', { machineToken: 'aaaa0001' }), at('T2', { machineToken: 'aaaa0001' }))).toEqual({
      verdict: 'same-machine',
      sentence: 'the same machine at two times (collected T1 and T2)',
    });
    // Clones with the same host token (an unredacted bundle's is the host name) are two machines.
    expect(compareIdentity(at('T1', { machineToken: 'aaaa0001', hostToken: 'debian' }), at('T2', { machineToken: 'bbbb0002', hostToken: 'debian' })).verdict).toBe('two-machines');
  });

  it('unknown without a machine id, for a document without a manifest, and for an older unredacted bundle', () => {
    expect(compareIdentity(at('T1', { machineToken: null }), at('T2', { machineToken: 'aaaa0001' })).sentence).toBe(
      'one machine or two is unknown: A comes from a machine without /etc/machine-id (collected T1 and T2)',
    );
    const probe: ReportModel = { source: 'p.json', sourceKind: 'probe', manifest: null, snapshot: null, findings: null, run: null, probe: { createdAt: 'T0' } as unknown as ProbeReport };
    expect(compareIdentity(probe, at('T2', { machineToken: 'aaaa0001' })).sentence).toBe(
      'one machine or two is unknown: A is a probe document, which carries no machine identity (collected T0 and T2)',
    );
    expect(compareIdentity(at('T1', { redacted: false, hostToken: 'db-7' }), at('T2', { redacted: false, hostToken: 'db-7' })).verdict).toBe('unknown');
    // Older redacted bundles: their host token is the same hash.
    expect(compareIdentity(at('T1', {}), at('T2', {})).verdict).toBe('same-machine');
  });
});

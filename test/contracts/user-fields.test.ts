import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { CHECK_SCHEMA_VERSION, type CheckDocument } from '../../src/contracts/check-document.js';
import { BUNDLE_SCHEMA_VERSION, type BundleManifest, type CollectResult } from '../../src/contracts/collect-document.js';
import { COMPARE_SCHEMA_VERSION, type CompareDocument } from '../../src/contracts/compare-document.js';
import { SNAPSHOT_SCHEMA_VERSION, type Snapshot } from '../../src/contracts/detect-document.js';
import { PROBE_SCHEMA_VERSION, type ProbeReport } from '../../src/contracts/probe-document.js';
import { REVERT_SCHEMA_VERSION, STATUS_SCHEMA_VERSION, type RevertDocument, type StatusDocument } from '../../src/contracts/revert-document.js';
import { RULES_SCHEMA_VERSION, type RulesDocument } from '../../src/contracts/rules-document.js';
import type { CaptureResult } from '../../src/contracts/snapshot-document.js';
import { TUNE_SCHEMA_VERSION, type TuneReport } from '../../src/contracts/tune-document.js';
import { VERIFY_SCHEMA_VERSION, type VerifyDocument } from '../../src/contracts/verify-document.js';
import { detectSnapshot } from '../../src/detect/snapshot.js';
import { Root } from '../../src/host/root.js';
import { runCli } from '../helpers/cli.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';
import { fixtureRoot, KVM_FIXTURE, makeTemp, removeTemp } from '../helpers/fixtures.js';
import { field, type FieldsOf, maybe, missingFields, type Pins, type PinnedTypes } from './field-pins.js';

// The fields users' scripts read, per document and schema version: the Ansible role
// (packaging/ansible), the fields README documents, and what a script needs to tell documents
// apart (kind, schemaVersion). Such a field changes only with its document's schema version:
// renaming, removing or retyping one means bumping the version and adding a pin for the new
// version below. Never edit an existing version's pin: scripts written against it still run.
// Written literally (not derived from the types) so that a change in src/ cannot move them.

type Verdict = 'kept' | 'reverted-no-gain' | 'reverted-too-noisy' | 'reverted-host-changed' | 'reverted-not-in-effect' | 'reverted-boot-bound' | 'measure-failed';

const TUNE = {
  1: {
    schemaVersion: field<1>(),
    kind: field<'nvprobe.tune'>(),
    run: field<string | null>(),
    dryRun: field<boolean>(),
    savedTo: field<string | null>(),
    // Ansible: the dry-run report counts these.
    plan: field<'object'>(),
    'plan.changes': field<'array'>(),
    'plan.rebootOnly': field<'array'>(),
    result: field<'object' | null>(),
    'result.before': field<'object'>(),
    'result.after': field<'object'>(),
    'result.before.p50Us': field<number>(),
    'result.after.p50Us': field<number>(),
    // Ansible: changed_when and nvprobe_kept select the kept changes' targets.
    'result.changes': field<'array'>(),
    'result.changes[].decision': field<'kept' | 'reverted' | 'skipped'>(),
    'result.changes[].target': field<string>(),
    'result.changes[].reason': field<string>(),
    'result.changes[].evidence': maybe<'object' | null>(),
    'result.changes[].evidence.outcome': field<'gain' | 'no-gain' | 'slower' | 'too-noisy' | 'prerequisite'>(),
    'result.changes[].evidence.ratio': field<number>(),
    'result.changes[].evidence.interval': field<'array'>(),
    'result.changes[].evidence.blocks': field<number>(),
    'result.changes[].evidence.looks': field<number>(),
    'result.changes[].evidence.reason': field<string>(),
    'result.changes[].blocks': maybe<'array'>(),
    'result.changes[].elapsedMs': maybe<number>(),
    // Ansible: the report prints the final comparison's ratio and interval.
    'result.final': maybe<'object' | null>(),
    'result.final.ratio': field<number>(),
    'result.final.interval': field<'array'>(),
    'result.final.interval[]': field<number | null>(),
    'result.noise': maybe<'object'>(),
    'result.rule': maybe<'object'>(),
    'result.kernelClock': maybe<'object'>(),
    'result.kernelClock.before': field<'object'>(),
    'result.kernelClock.after': field<'object'>(),
    // Ansible: a persisted write counts as a change.
    persisted: field<'object' | null>(),
    'persisted.writes': field<'array'>(),
    'persisted.writes[]': field<string>(),
  },
} satisfies Record<number, Pins>;

const STATUS = {
  1: {
    schemaVersion: field<1>(),
    kind: field<'nvprobe.status'>(),
    // Ansible (revert): anything in effect?
    entries: field<'array'>(),
    'entries[].path': field<string>(),
    'entries[].state': field<'applied' | 'drifted' | 'unknown'>(),
    // Ansible (tune): an armed verification, its run, whether the reboot is owed.
    pending: field<'object' | null>(),
    'pending.run': field<string>(),
    'pending.verificationArmed': field<boolean>(),
    'pending.rebootRequired': field<boolean>(),
    // Ansible (tune): the verdict after the reboot.
    lastVerdict: field<'object' | null>(),
    'lastVerdict.verdict': field<Verdict>(),
    'lastVerdict.reason': field<string>(),
  },
} satisfies Record<number, Pins>;

const REVERT = {
  1: {
    schemaVersion: field<1>(),
    kind: field<'nvprobe.revert'>(),
    // Ansible: changed when something was restored.
    reverted: field<'array'>(),
    'reverted[].path': field<string>(),
    'reverted[].restored': field<string | null>(),
  },
} satisfies Record<number, Pins>;

const VERIFY = {
  1: {
    schemaVersion: field<1>(),
    kind: field<'nvprobe.verify'>(),
    armed: field<boolean>(),
    verdict: field<'object' | null>(),
    'verdict.verdict': field<Verdict>(),
    'verdict.reason': field<string>(),
  },
} satisfies Record<number, Pins>;

const PROBE = {
  1: {
    schemaVersion: field<1>(),
    kind: field<'nvprobe.probe'>(),
    headline: maybe<'native' | 'calibrated' | 'kernel'>(),
    'target.path': field<string>(),
    'target.disk': field<string | null>(),
    'engine.name': field<string>(),
    // 'auto' or an engine's name (psync2, io_uring): engines register by descriptor, so the type is open; the values are unchanged.
    'engine.requested': field<string>(),
    'engine.selection': field<string>(),
    'engine.fallbackReason': maybe<string>(),
    // README: "Scripts should read this field".
    'engine.polled.polled': field<boolean>(),
    'engine.polled.reason': field<string>(),
    'engine.hipri.requested': field<boolean>(),
    'engine.hipri.effective': field<boolean>(),
    'engine.hipri.reason': field<string>(),
    'result.iops': field<number>(),
    'result.corrected': field<'object'>(),
    'result.corrected.percentilesUs.p50': field<number>(),
    'result.corrected.percentilesUs.p99': field<number>(),
    // README, "What the reads cost in CPU": nvprobe's CPU per read, the vCPUs' shares, steal.
    'result.cpu': maybe<'object' | null>(),
    'result.cpu.seconds': field<number>(),
    'result.cpu.reads': field<number>(),
    'result.cpu.perReadUs': field<'object' | null>(),
    'result.cpu.perReadUs.user': field<number>(),
    'result.cpu.perReadUs.system': field<number>(),
    'result.cpu.busyShare': field<number>(),
    'result.cpu.busyVcpus': field<number>(),
    'result.cpu.pollVcpus': field<number | null>(),
    'result.cpu.stealVcpus': field<number>(),
    'result.cpu.maxStealShare': field<number>(),
    'result.cpu.stealPerReadUs': field<number>(),
    'result.cpu.vcpus': field<'array'>(),
    'result.cpu.vcpus[].cpu': field<number>(),
    'result.cpu.vcpus[].busy': field<number>(),
    'result.cpu.vcpus[].poll': field<number | null>(),
    'result.cpu.vcpus[].steal': field<number>(),
    // README, probe: the idle polling share after the reads, and its window.
    'result.idlePollShare': maybe<number | null>(),
    'config.idleWindowMs': maybe<number>(),
    // README, "The headline": the kernel clock's documented fields (absent where tracing did not run).
    kernelClock: maybe<'object'>(),
    'kernelClock.available': field<boolean>(),
    'kernelClock.reason': maybe<string>(),
    'kernelClock.total': maybe<'object'>(),
    'kernelClock.phases': maybe<'object' | null>(),
    'kernelClock.phases.submit.latency': field<'object'>(),
    'kernelClock.phases.submit.histogram': field<'object'>(),
    'kernelClock.phases.device.latency': field<'object'>(),
    'kernelClock.phases.completion.latency': field<'object'>(),
    'kernelClock.phases.guestSide': field<'object'>(),
    'kernelClock.phases.total': maybe<'object'>(),
    'kernelClock.readsIssued': maybe<number>(),
    'kernelClock.reads': maybe<number>(),
    'kernelClock.unmatched': maybe<number>(),
    'kernelClock.lostEvents': maybe<number>(),
    'kernelClock.idleCompletions': maybe<number>(),
    'kernelClock.wokeFromIdle': maybe<number | null>(),
    'kernelClock.migrated': maybe<number>(),
    'kernelClock.placement': maybe<'object' | null>(),
    'kernelClock.placement.issueCpus': field<'object'>(),
    'kernelClock.placement.completionCpus': field<'object'>(),
    'kernelClock.placement.sameCpu.reads': field<number>(),
    'kernelClock.placement.sameCpu.p50Us': field<number | null>(),
    'kernelClock.placement.otherCpu.reads': field<number>(),
    'kernelClock.placement.otherCpu.p50Us': field<number | null>(),
    'kernelClock.outsideSyscall': maybe<'object' | null>(),
    'kernelClock.overhead': maybe<'object'>(),
    'kernelClock.overhead.phaseSlices': maybe<'object'>(),
    'kernelClock.overhead.phaseSlices.perIoUs': field<number | null>(),
    'kernelClock.overhead.phaseSlices.p50Us': field<number | null>(),
    'kernelClock.overhead.phaseSlices.reads': field<number>(),
    'kernelClock.totalFrom': maybe<'syscall-events' | 'all-events'>(),
    'kernelClock.totalReads': maybe<number>(),
    'kernelClock.phaseSliceReads': maybe<number>(),
    'kernelClock.nativeReason': maybe<string>(),
    'kernelClock.native': maybe<'object'>(),
    'kernelClock.native.windowP50Us': field<number>(),
    'kernelClock.native.boundaryUs': field<number>(),
    'kernelClock.native.boundaryCiUs': field<number>(),
    'kernelClock.native.inWindowUs': field<number>(),
    'kernelClock.native.inWindowCiUs': field<number>(),
    'kernelClock.native.calls': field<number>(),
    'kernelClock.native.shiftUs': field<number>(),
    'kernelClock.native.uncertaintyUs': field<number>(),
    'kernelClock.native.total': field<'object'>(),
  },
} satisfies Record<number, Pins>;

const CHECK = {
  1: {
    schemaVersion: field<1>(),
    kind: field<'nvprobe.check'>(),
    'summary.recommend': field<number>(),
    'summary.measuredNoGain': field<number>(),
    findings: field<'array'>(),
    'findings[].id': field<string>(),
    'findings[].status': field<'ok' | 'recommend' | 'advise' | 'info' | 'n/a'>(),
    // README, check: what tune last measured for the finding's change.
    'findings[].measured': maybe<'object'>(),
    'findings[].measured.runId': field<string>(),
    'findings[].measured.at': field<string>(),
    'findings[].measured.target': field<string>(),
    'findings[].measured.from': field<'array'>(),
    'findings[].measured.to': field<string | number | null>(),
    'findings[].measured.decision': field<'kept' | 'reverted'>(),
    'findings[].measured.reason': field<string>(),
    'findings[].measured.p50BeforeUs': field<number | null>(),
    'findings[].measured.p50AfterUs': field<number | null>(),
  },
} satisfies Record<number, Pins>;

const DETECT = {
  1: {
    schemaVersion: field<1>(),
    disks: field<'array'>(),
    'disks[].name': field<string>(),
    // README, tune: where cpuidle-haltpoll is a module that is not loaded, no reboot is needed.
    'cpuidle.haltpoll.driverModule': field<'builtin' | 'module' | 'absent' | null>(),
    'cpuidle.haltpoll.driverModuleLoaded': field<boolean | null>(),
    // README, detect and check: the host's share of the vCPUs, the window the rule judged.
    steal: field<'object'>(),
    'steal.window': field<'run' | 'since-boot' | null>(),
    'steal.windowText': field<string>(),
    'steal.maxPct': field<number | null>(),
    'steal.maxCpu': field<number | null>(),
    'steal.sinceBoot': field<'object' | null>(),
    'steal.sinceBoot.seconds': field<number>(),
    'steal.sinceBoot.perCpu': field<'array'>(),
    'steal.sinceBoot.perCpu[].cpu': field<number>(),
    'steal.sinceBoot.perCpu[].pct': field<number>(),
    'steal.run': field<'object' | null>(),
    'steal.run.seconds': field<number>(),
    'steal.run.reads': field<number>(),
    'steal.run.perReadUs': field<number>(),
    'steal.run.perCpu': field<'array'>(),
    // README, detect: anything unreadable is null and listed with why.
    unavailable: field<'array'>(),
    'unavailable[].path': field<string>(),
    'unavailable[].reason': field<'missing' | 'denied' | 'io-error' | 'not-a-file' | 'unparsable'>(),
    'unavailable[].detail': field<string>(),
  },
} satisfies Record<number, Pins>;

const SNAPSHOT = {
  1: {
    schemaVersion: field<1>(),
    dir: field<string>(),
    files: field<number>(),
    redacted: field<'array'>(),
    skipped: field<'array'>(),
  },
} satisfies Record<number, Pins>;

const RULES = {
  1: {
    schemaVersion: field<1>(),
    kind: field<'nvprobe.rules'>(),
    rules: field<'array'>(),
    'rules[].id': field<string>(),
  },
} satisfies Record<number, Pins>;

const BUNDLE_MANIFEST = {
  1: {
    schemaVersion: field<1>(),
    kind: field<'nvprobe.bundle'>(),
    // README, collect: each collector's status, start time, duration, files, bytes and truncated files.
    collectors: field<'array'>(),
    'collectors[].name': field<string>(),
    'collectors[].status': field<'ok' | 'skipped' | 'failed' | 'timeout'>(),
    'collectors[].startedAt': field<string>(),
    'collectors[].ms': field<number>(),
    'collectors[].files': field<number>(),
    'collectors[].bytes': field<number>(),
    'collectors[].truncated': field<'array'>(),
  },
} satisfies Record<number, Pins>;

const COLLECT = {
  1: {
    schemaVersion: field<1>(),
    kind: field<'nvprobe.collect'>(),
    bundle: field<string>(),
    redactionMap: field<string | null>(),
  },
} satisfies Record<number, Pins>;

const COMPARE = {
  1: {
    schemaVersion: field<1>(),
    kind: field<'nvprobe.report-compare'>(),
    // README, report A B: the fields --json prints.
    sides: field<'object'>(),
    'sides.A.source': field<string>(),
    'sides.A.sourceKind': field<'bundle' | 'run' | 'probe'>(),
    'sides.B.source': field<string>(),
    'sides.B.sourceKind': field<'bundle' | 'run' | 'probe'>(),
    'identity.verdict': field<'same-machine' | 'two-machines' | 'unknown'>(),
    'identity.sentence': field<string>(),
    'configuration.differences': field<'array'>(),
    'configuration.differences[].rank': field<number>(),
    'configuration.differences[].key': field<string>(),
    'configuration.differences[].label': field<string>(),
    'configuration.differences[].subject': field<string | null>(),
    'configuration.differences[].a': field<string | null>(),
    'configuration.differences[].b': field<string | null>(),
    'configuration.differences[].why': field<string>(),
    'configuration.differences[].acts': field<'guest' | 'device' | 'both'>(),
    findings: field<'object'>(),
    'findings.differences': field<'array'>(),
    'findings.differences[].id': field<string>(),
    latency: field<'object'>(),
    'latency.A': field<'object' | null>(),
    'latency.A.p50Us': field<number>(),
    'latency.A.p99Us': field<number>(),
    'latency.A.phases': field<'object' | null>(),
    'latency.A.placement': maybe<'object' | null>(),
    'latency.A.placement.reads': field<number>(),
    'latency.A.placement.sameCpuShare': field<number>(),
    'latency.A.placement.completionCpu': field<number | null>(),
    'latency.B': field<'object' | null>(),
    'latency.B.p50Us': field<number>(),
    'latency.B.p99Us': field<number>(),
    'latency.B.phases': field<'object' | null>(),
    'verdict.side': field<'none' | 'device' | 'guest' | 'both' | 'spread' | 'split-unknown' | 'no-data'>(),
    'verdict.sentence': field<string>(),
    'verdict.tolerance': field<'object'>(),
  },
} satisfies Record<number, Pins>;

// A compile error on a line below is this guard failing. "Property 'N' does not exist": the
// version was bumped, pin the new version above. A type mismatch: a field scripts read was renamed,
// removed or changed type: bump the document's schema version and pin the new version.
type Pin<P, V extends keyof P> = P[V] extends Pins ? P[V] : never;
type TunePins = Pin<typeof TUNE, typeof TUNE_SCHEMA_VERSION>;
type StatusPins = Pin<typeof STATUS, typeof STATUS_SCHEMA_VERSION>;
type RevertPins = Pin<typeof REVERT, typeof REVERT_SCHEMA_VERSION>;
type VerifyPins = Pin<typeof VERIFY, typeof VERIFY_SCHEMA_VERSION>;
type ProbePins = Pin<typeof PROBE, typeof PROBE_SCHEMA_VERSION>;
type CheckPins = Pin<typeof CHECK, typeof CHECK_SCHEMA_VERSION>;
type DetectPins = Pin<typeof DETECT, typeof SNAPSHOT_SCHEMA_VERSION>;
type SnapshotPins = Pin<typeof SNAPSHOT, typeof SNAPSHOT_SCHEMA_VERSION>;
type RulesPins = Pin<typeof RULES, typeof RULES_SCHEMA_VERSION>;
type ManifestPins = Pin<typeof BUNDLE_MANIFEST, typeof BUNDLE_SCHEMA_VERSION>;
type CollectPins = Pin<typeof COLLECT, typeof BUNDLE_SCHEMA_VERSION>;
type ComparePins = Pin<typeof COMPARE, typeof COMPARE_SCHEMA_VERSION>;

describe('fields users’ scripts read change only with the schema version', () => {
  it('match their pins in the document types (checked when the tests compile)', () => {
    expectTypeOf<FieldsOf<TuneReport, TunePins>>().toEqualTypeOf<PinnedTypes<TunePins>>();
    expectTypeOf<FieldsOf<StatusDocument, StatusPins>>().toEqualTypeOf<PinnedTypes<StatusPins>>();
    expectTypeOf<FieldsOf<RevertDocument, RevertPins>>().toEqualTypeOf<PinnedTypes<RevertPins>>();
    expectTypeOf<FieldsOf<VerifyDocument, VerifyPins>>().toEqualTypeOf<PinnedTypes<VerifyPins>>();
    expectTypeOf<FieldsOf<ProbeReport, ProbePins>>().toEqualTypeOf<PinnedTypes<ProbePins>>();
    expectTypeOf<FieldsOf<CheckDocument, CheckPins>>().toEqualTypeOf<PinnedTypes<CheckPins>>();
    expectTypeOf<FieldsOf<Snapshot, DetectPins>>().toEqualTypeOf<PinnedTypes<DetectPins>>();
    expectTypeOf<FieldsOf<CaptureResult, SnapshotPins>>().toEqualTypeOf<PinnedTypes<SnapshotPins>>();
    expectTypeOf<FieldsOf<RulesDocument, RulesPins>>().toEqualTypeOf<PinnedTypes<RulesPins>>();
    expectTypeOf<FieldsOf<BundleManifest, ManifestPins>>().toEqualTypeOf<PinnedTypes<ManifestPins>>();
    expectTypeOf<FieldsOf<CollectResult, CollectPins>>().toEqualTypeOf<PinnedTypes<CollectPins>>();
    expectTypeOf<FieldsOf<CompareDocument, ComparePins>>().toEqualTypeOf<PinnedTypes<ComparePins>>();
  });

  const documents: Array<{ name: string; constant: string; version: number; pins: Record<number, Pins> }> = [
    { name: 'tune', constant: 'TUNE_SCHEMA_VERSION', version: TUNE_SCHEMA_VERSION, pins: TUNE },
    { name: 'status', constant: 'STATUS_SCHEMA_VERSION', version: STATUS_SCHEMA_VERSION, pins: STATUS },
    { name: 'revert', constant: 'REVERT_SCHEMA_VERSION', version: REVERT_SCHEMA_VERSION, pins: REVERT },
    { name: 'verify', constant: 'VERIFY_SCHEMA_VERSION', version: VERIFY_SCHEMA_VERSION, pins: VERIFY },
    { name: 'probe', constant: 'PROBE_SCHEMA_VERSION', version: PROBE_SCHEMA_VERSION, pins: PROBE },
    { name: 'check', constant: 'CHECK_SCHEMA_VERSION', version: CHECK_SCHEMA_VERSION, pins: CHECK },
    { name: 'detect', constant: 'SNAPSHOT_SCHEMA_VERSION', version: SNAPSHOT_SCHEMA_VERSION, pins: DETECT },
    { name: 'snapshot', constant: 'SNAPSHOT_SCHEMA_VERSION', version: SNAPSHOT_SCHEMA_VERSION, pins: SNAPSHOT },
    { name: 'rules', constant: 'RULES_SCHEMA_VERSION', version: RULES_SCHEMA_VERSION, pins: RULES },
    { name: 'bundle manifest', constant: 'BUNDLE_SCHEMA_VERSION', version: BUNDLE_SCHEMA_VERSION, pins: BUNDLE_MANIFEST },
    { name: 'collect', constant: 'BUNDLE_SCHEMA_VERSION', version: BUNDLE_SCHEMA_VERSION, pins: COLLECT },
    { name: 'report A B', constant: 'COMPARE_SCHEMA_VERSION', version: COMPARE_SCHEMA_VERSION, pins: COMPARE },
  ];

  it.each(documents)('the $name document’s schema version has a pin', ({ name, constant, version, pins }) => {
    expect(pins[version], `${constant} is ${version}: pin the fields scripts read in the ${name} document at that version`).toBeDefined();
    expect(pins[version]?.schemaVersion, `the ${name} pin of version ${version} must pin schemaVersion`).toBeDefined();
  });

  const tmp = makeTemp('nvprobe-user-fields-');
  afterAll(() => removeTemp(tmp));
  const kvm = fixtureRoot(KVM_FIXTURE);
  const bump = (name: string, constant: string) => `fields scripts read are missing from a real ${name} document: bump ${constant} and pin the new version`;

  it('a real detect document has every pinned field', () => {
    const doc = detectSnapshot(new Root(kvm));
    expect(missingFields(doc, DETECT[SNAPSHOT_SCHEMA_VERSION]), bump('detect', 'SNAPSHOT_SCHEMA_VERSION')).toEqual([]);
  });

  it('a real check document has every pinned field', async () => {
    const r = await runCli(['check', '--root', kvm, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(missingFields(JSON.parse(r.stdout), CHECK[CHECK_SCHEMA_VERSION]), bump('check', 'CHECK_SCHEMA_VERSION')).toEqual([]);
  });

  it('a real rules document has every pinned field', async () => {
    const r = await runCli(['rules', 'list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(missingFields(JSON.parse(r.stdout), RULES[RULES_SCHEMA_VERSION]), bump('rules', 'RULES_SCHEMA_VERSION')).toEqual([]);
  });

  it('a real status document has every pinned field', async () => {
    const r = await runCli(['status', '--json', '--state-dir', tmp]);
    expect(r.code, r.stderr).toBe(0);
    expect(missingFields(JSON.parse(r.stdout), STATUS[STATUS_SCHEMA_VERSION]), bump('status', 'STATUS_SCHEMA_VERSION')).toEqual([]);
  });

  it('a real report A B document (two probes of a file) has every pinned field', async () => {
    const disk = diskTempDir('nvprobe-user-fields-');
    try {
      const target = join(disk.dir, 'target.dat');
      writeOffsetFile(target, 4096);
      const sides: string[] = [];
      for (const name of ['a.json', 'b.json']) {
        const p = await runCli(['probe', target, '--engine', 'psync2', '--ios', '2000', '--ramp', '0', '--json']);
        expect(p.code, p.stderr).toBe(0);
        sides.push(join(disk.dir, name));
        writeFileSync(sides.at(-1)!, p.stdout);
      }
      const r = await runCli(['report', ...sides, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(missingFields(JSON.parse(r.stdout), COMPARE[COMPARE_SCHEMA_VERSION]), bump('report A B', 'COMPARE_SCHEMA_VERSION')).toEqual([]);
    } finally {
      disk.remove();
    }
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ProbeReport } from '../../src/contracts/probe-document.js';
import type { StatusDocument } from '../../src/contracts/revert-document.js';
import type { TuneReport } from '../../src/contracts/tune-document.js';
import type { VerifyDocument } from '../../src/contracts/verify-document.js';
import { judgeBoots, VERIFY_ROUNDS } from '../../src/tune/boot-verify.js';
import { KERNEL_CMDLINE } from './lab/boot-disk.js';
import { BootSequence } from './lab/boot-sequence.js';
import { LAB_DISKS, type Guest } from './lab/guest.js';
import { writeGuestFile } from './lab/guest-files.js';
import { queueInterrupts } from './lab/queue-interrupts.js';

// `nvprobe tune --persist --reboot` end to end, the harness as the boot loader (lab/boot-sequence.ts):
// tune writes the kernel command line on the guest's boot disk and reboots; the next boot runs
// `nvprobe verify` (no init system in the lab: the test runs it where nvprobe-verify.service would),
// which checks, measures, keeps or reverts, and reboots once more after a revert.
//
//  boot 1  no poll queues; tune (poll-queue rules) writes nvme/virtio_blk.poll_queues=1, reboots
//  boot 2  the words in effect (poll queues, io_uring IOPOLL polled, no interrupts); verify
//  boot 3  as the verdict says (kept: the words; reverted: the original, byte for byte);
//          tune (a test rule: cpuidle_haltpoll.force=1, which cannot load under TCG), reboots
//  boot 4  verify: not in effect, reverted, reboots itself
//  boot 5  the original command line, byte for byte; tune (poll queues) again, reboots
//  boot 6  in effect; verify with the margin forced to 1 (test only): reverted, reboots itself
//  boot 7  the original, byte for byte; kill -9 at every journaled step of tune's writes and of
//          verify's revert, each followed by `revert --all`
//  boot 8  the boot configuration read on the host equals the original; so does /proc/cmdline

const STATE = '/var/lib/nvprobe';
const TARGET = `/dev/${LAB_DISKS.nvme}`;
const POLL_RULES = 'poll-queues-missing-nvme,poll-queues-missing-virtio-blk';
const POLL_WORDS = ['nvme.poll_queues=1', 'virtio_blk.poll_queues=1'];
const HALTPOLL_RULE = 'test-haltpoll-force-under-tcg';
const HALTPOLL_WORD = 'cpuidle_haltpoll.force=1';
const RULES_DIR = '/tmp/nvprobe-test-rules';
// A rule the shipped set does not have (haltpoll-driver-not-loaded applies to KVM guests only): the
// change that cannot take effect here.
const HALTPOLL_RULE_YAML = `topic: test-haltpoll
description: "test only: force cpuidle-haltpoll where it cannot load"
rules:
  - id: ${HALTPOLL_RULE}
    title: "test: cpuidle driver is {cpuidle.driver}"
    okTitle: "test: cpuidle driver is {cpuidle.driver}"
    about: "test: cpuidle-haltpoll forced under TCG"
    severity: medium
    applies:
      field: hypervisor.kind
      equals: tcg
    check:
      field: cpuidle.driver
      notEquals: haltpoll
    rationale: "test only"
    references:
      - test/vm/reboot-tune.test.ts
    actions:
      - kind: kernel-cmdline
        param: cpuidle_haltpoll.force
        value: 1
`;
// Short rounds: TCG is slow, and the figures only have to be consistent with the verdict.
const MEASURE = '--round 100ms --budget 30s --no-trace';
const NV = 'node bin/nvprobe';

async function sh(guest: Guest, script: string, codes: number[] = [0]): Promise<string> {
  const r = await guest.run(script);
  expect(codes, `${script}\nexit ${r.exitCode}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toContain(r.exitCode);
  return r.stdout;
}

async function json<T>(guest: Guest, script: string, codes: number[] = [0]): Promise<T> {
  return JSON.parse(await sh(guest, script, codes)) as T;
}

/** tune writes its report and verify its verdict into the state dir: a reboot ends the command. */
function tuneScript(only: string, extra = ''): string {
  return `${NV} tune ${TARGET} --persist --reboot --yes --only ${only} ${extra} ${MEASURE} --json > ${STATE}/tune.json 2> ${STATE}/tune.err`;
}
// verify reboots by itself after a revert (the record says --reboot); after a kept verdict the
// script reboots, to show the next boot. verify.rc is written only when verify did not reboot.
// The armed record as the next boot finds it: another boot id than the one it was armed in.
const EARLIER_BOOT = `node -e 'const fs = require("fs"); const f = "${STATE}/pending-verify.json"; const r = JSON.parse(fs.readFileSync(f, "utf8")); r.bootId = "an-earlier-boot"; fs.writeFileSync(f, JSON.stringify(r))'`;
const VERIFY_SCRIPT = `rm -f ${STATE}/verify.rc; ${NV} verify --json --settle 0 > ${STATE}/verify.json 2> ${STATE}/verify.err; echo $? > ${STATE}/verify.rc; sync; reboot`;

describe('tune --persist --reboot in the lab: the verifying boot keeps or reverts, and a revert restores the boot byte for byte', () => {
  let seq: BootSequence;
  let original: string; // boot 1's /proc/cmdline
  let originalFile: Buffer; // boot 1's /etc/kernel/cmdline, as the guest reads it
  let withPoll: string; // boot 2's command line: the original and the poll-queue words
  beforeAll(async () => {
    seq = await BootSequence.start({ layout: 'kernel-install', maxBoots: 8 });
  });
  afterAll(async () => {
    await seq?.shutdown();
    if (seq) console.log(`reboot-tune: ${seq.boots.map((b) => `boot ${b.index} ${(b.bootMs / 1000).toFixed(1)} s (${b.end ?? '-'})`).join(', ')}`);
  });

  test('boot 1 → 2: tune --persist --reboot writes the poll-queue words into /etc/kernel/cmdline, arms the verification and reboots', async () => {
    const g = seq.guest;
    original = await sh(g, 'cat /proc/cmdline');
    originalFile = (await g.runBytes(`cat ${KERNEL_CMDLINE}`)).stdout;
    for (const w of POLL_WORDS) expect(original.split(/\s+/)).not.toContain(w);
    expect(await sh(g, `cat /sys/block/${LAB_DISKS.nvme}/queue/io_poll /sys/block/${LAB_DISKS.virtio}/queue/io_poll`)).toBe('0\n0\n');
    const dry = await json<TuneReport>(g, `${NV} tune ${TARGET} --persist --dry-run --only ${POLL_RULES} --json`);
    // vda and vdb (the boot disk) both lack poll queues: two findings, one word.
    expect([...new Set(dry.plan.rebootOnly.map((r) => `${r.action.param}=${r.action.value}`))].sort()).toEqual(POLL_WORDS);

    let between: Buffer | null = null;
    const g2 = await seq.reboot(tuneScript(POLL_RULES), { timeoutMs: 120_000, between: () => (between = seq.readFile(KERNEL_CMDLINE)) });
    // What the boot loader read: the original words, then nvprobe's, on the one line.
    const written = between!.toString();
    expect(written.startsWith(`${original.trim()} `) && written.endsWith('\n')).toBe(true);
    expect(
      written
        .slice(original.trim().length + 1, -1)
        .split(' ')
        .sort(),
    ).toEqual(POLL_WORDS);
    withPoll = written.trim();
    expect(seq.boots[1]!.config.cmdline).toBe(withPoll);

    const tune = JSON.parse(await sh(g2, `cat ${STATE}/tune.json`)) as TuneReport;
    expect(tune.persisted!.writes.join('\n')).toMatch(/\/etc\/kernel\/cmdline/);
    expect(tune.verify).toMatchObject({ armed: true, reboot: true });
    expect(tune.verify!.baselineMedianP50Us).toBeGreaterThan(0);
    expect(tune.verify!.expects.map((e) => e.kind).sort()).toEqual(['cmdline-word', 'cmdline-word', 'disk-poll', 'module-param', 'module-param']);
    // The disk-poll check belongs to the measured disk's driver (nvme), not to virtio_blk's word.
    expect(tune.verify!.expects.find((e) => e.kind === 'disk-poll')).toMatchObject({ change: 'cmdline:nvme.poll_queues', disk: LAB_DISKS.nvme });
    // Booted since arming: no reboot is owed any more, only the verification (exit 0, not 7).
    const status = await json<StatusDocument>(g2, `${NV} status --json`);
    expect(status.pending).toMatchObject({ verificationArmed: true, rebootRequired: false, boots: 0, reboot: true });
    expect(status.pending!.changes.sort()).toEqual(['cmdline:nvme.poll_queues', 'cmdline:virtio_blk.poll_queues']);
  });

  test('boot 2: the poll queues are there, io_uring IOPOLL polls, no interrupt per read', async () => {
    const g = seq.guest;
    const cmdline = await sh(g, 'cat /proc/cmdline');
    for (const w of POLL_WORDS) expect(cmdline.split(/\s+/)).toContain(w);
    expect(await sh(g, `cat /sys/block/${LAB_DISKS.nvme}/queue/io_poll /sys/block/${LAB_DISKS.virtio}/queue/io_poll`)).toBe('1\n1\n');
    expect((await sh(g, `ls /sys/block/${LAB_DISKS.nvme}/mq`)).split(/\s+/).filter(Boolean)).toEqual(['0', '1', '2']);
    const counts: string[] = [];
    for (const disk of [LAB_DISKS.nvme, LAB_DISKS.virtio]) {
      const before = await queueInterrupts(g, disk);
      const report = await json<ProbeReport>(g, `${NV} probe /dev/${disk} --engine io_uring --ios 2000 --ramp 0 --json`);
      const after = await queueInterrupts(g, disk);
      expect(report.engine).toMatchObject({ name: 'io_uring', polled: { polled: true } });
      expect(report.result.samples).toBe(2000);
      expect(after.total - before.total).toBeLessThanOrEqual(10);
      counts.push(`${disk} ${after.total - before.total} interrupts / 2000 reads`);
    }
    console.log(`reboot-tune boot 2: ${counts.join(', ')}`);
  });

  test('boot 2 → 3: verify finds the changes in effect, measures, and the verdict follows its figures; boot 3 is as the verdict says', async () => {
    const g3 = await seq.reboot(VERIFY_SCRIPT, { timeoutMs: 180_000 });
    const doc = JSON.parse(await sh(g3, `cat ${STATE}/verify.json`)) as VerifyDocument;
    const v = doc.verdict!;
    expect(doc.armed).toBe(true);
    expect(v.boot).toBe(1);
    expect(v.checks.length).toBe(5);
    for (const c of v.checks) expect(c, JSON.stringify(c)).toMatchObject({ inEffect: true });
    expect(v.afterRoundsP50Us).toHaveLength(VERIFY_ROUNDS);
    const sorted = [...v.afterRoundsP50Us!].sort((a, b) => a - b);
    expect(v.afterMedianP50Us).toBeCloseTo((sorted[VERIFY_ROUNDS / 2 - 1]! + sorted[VERIFY_ROUNDS / 2]!) / 2, 6);
    // The verdict follows the interval and the host reference, as judgeBoots decides from the recorded figures.
    const expected = judgeBoots(v.baselineRoundsP50Us!, v.afterRoundsP50Us!, v.reference?.before ?? null, v.reference!.after, v.margin);
    expect(v.verdict).toBe(expected.verdict);
    expect(v.ratio).toBeCloseTo(expected.ratio, 9);
    const kept = v.verdict === 'kept';
    expect(v.rebooting).toBe(!kept);
    console.log(
      `reboot-tune verify 1: ${v.verdict}: baseline ${v.baselineMedianP50Us.toFixed(1)} µs, after ${v.afterMedianP50Us!.toFixed(1)} µs (ratio ${v.ratio!.toFixed(3)}, interval ${v.interval?.map((x) => x?.toFixed(3)).join('–')}, margin ${v.margin}): ${v.reason}`,
    );
    // The report shows before and after.
    expect(v.reason).toContain(`vs ${v.baselineMedianP50Us.toFixed(1)} µs over ${VERIFY_ROUNDS} before the reboot`);
    expect(v.reason).toContain(`median p50 ${v.afterMedianP50Us!.toFixed(1)} µs`);

    const status = await json<StatusDocument>(g3, `${NV} status --json`, [0, 8]);
    expect(status.pending).toBeNull();
    expect(status.lastVerdict).toMatchObject({ verdict: v.verdict, run: v.run });
    const cmdline = await sh(g3, 'cat /proc/cmdline');
    if (kept) {
      // verify did not reboot: the script's reboot did; the words stay.
      expect(await sh(g3, `cat ${STATE}/verify.rc`)).toBe('0\n');
      expect(cmdline).toBe(`${withPoll}\n`);
      // Back to the original for what follows (and a kept run is revertable too).
      await sh(g3, `${NV} revert --all`);
      expect((await g3.runBytes(`cat ${KERNEL_CMDLINE}`)).stdout.equals(originalFile)).toBe(true);
    } else {
      // verify rebooted by itself (no verify.rc): boot 3 is the original, byte for byte.
      expect(await sh(g3, `cat ${STATE}/verify.rc 2>/dev/null || echo absent`)).toBe('absent\n');
      expect(cmdline).toBe(original);
    }
  });

  test('boot 3 → 4 → 5: cpuidle_haltpoll.force=1 is not in effect under TCG: reverted, verify reboots, boot 5 is the original byte for byte', async () => {
    const g3 = seq.guest;
    await writeGuestFile(g3, `${RULES_DIR}/test-haltpoll.yaml`, HALTPOLL_RULE_YAML);
    const g4 = await seq.reboot(tuneScript(HALTPOLL_RULE, `--rules ${RULES_DIR}`), { timeoutMs: 120_000 });
    const tune = JSON.parse(await sh(g4, `cat ${STATE}/tune.json`)) as TuneReport;
    expect(tune.verify).toMatchObject({ armed: true, reboot: true });
    expect(await sh(g4, 'cat /proc/cmdline')).toBe(`${original.trim()} ${HALTPOLL_WORD}\n`);
    expect(await sh(g4, 'cat /sys/devices/system/cpu/cpuidle/current_driver')).toBe('none\n');

    const g5 = await seq.reboot(VERIFY_SCRIPT, { timeoutMs: 180_000 });
    expect(seq.boots.map((b) => b.end)).toEqual(['reboot', 'reboot', 'reboot', 'reboot', undefined]);
    const v = (JSON.parse(await sh(g5, `cat ${STATE}/verify.json`)) as VerifyDocument).verdict!;
    expect(v.verdict).toBe('reverted-not-in-effect');
    expect(v.rebooting).toBe(true);
    expect(v.afterRoundsP50Us).toBeNull();
    const driver = v.checks.find((c) => c.kind === 'cpuidle-driver')!;
    expect(driver).toMatchObject({ inEffect: false, live: 'none' });
    // Why, in this machine's terms: TCG sets the CPUID hypervisor bit but is not KVM.
    expect(driver.why).toMatch(/not a KVM guest \(tcg: no kvm paravirt\)/);
    expect(v.checks.find((c) => c.kind === 'cmdline-word')).toMatchObject({ inEffect: true });
    console.log(`reboot-tune verify 2: ${v.verdict}: ${v.reason}`);
    expect(await sh(g5, `cat ${STATE}/verify.rc 2>/dev/null || echo absent`)).toBe('absent\n');
    expect(await sh(g5, 'cat /proc/cmdline')).toBe(original);
    const status = await json<StatusDocument>(g5, `${NV} status --json`, [8]);
    expect(status.pending).toBeNull();
    expect(status.lastVerdict).toMatchObject({ verdict: 'reverted-not-in-effect' });
  });

  test('boot 5 → 6 → 7: the poll queues in effect but no gain (NVPROBE_TEST_VERIFY_MARGIN=1, test only): reverted, verify reboots, boot 7 is the original byte for byte', async () => {
    const g6 = await seq.reboot(tuneScript(POLL_RULES), { timeoutMs: 120_000 });
    expect(await sh(g6, 'cat /proc/cmdline')).toBe(`${withPoll}\n`);
    const g7 = await seq.reboot(`export NVPROBE_TEST_VERIFY_MARGIN=1; ${VERIFY_SCRIPT}`, { timeoutMs: 180_000 });
    const v = (JSON.parse(await sh(g7, `cat ${STATE}/verify.json`)) as VerifyDocument).verdict!;
    for (const c of v.checks) expect(c, JSON.stringify(c)).toMatchObject({ inEffect: true });
    // Margin 1: no interval lies below 0, so never kept; the host reference may still call it a changed host first.
    expect(['reverted-no-gain', 'reverted-host-changed']).toContain(v.verdict);
    expect(v).toMatchObject({ margin: 1, rebooting: true });
    // The ratio is the Hodges–Lehmann estimate over the rounds, as judgeBoots computes it from the recorded figures.
    const expected = judgeBoots(v.baselineRoundsP50Us!, v.afterRoundsP50Us!, v.reference?.before ?? null, v.reference!.after, v.margin);
    expect(v.verdict).toBe(expected.verdict);
    expect(v.ratio).toBeCloseTo(expected.ratio, 9);
    console.log(`reboot-tune verify 3 (margin forced to 1): ${v.verdict}: baseline ${v.baselineMedianP50Us.toFixed(1)} µs, after ${v.afterMedianP50Us!.toFixed(1)} µs`);
    expect(await sh(g7, `cat ${STATE}/verify.rc 2>/dev/null || echo absent`)).toBe('absent\n');
    expect(await sh(g7, 'cat /proc/cmdline')).toBe(original);
    expect(seq.boots.map((b) => b.end)).toEqual(['reboot', 'reboot', 'reboot', 'reboot', 'reboot', 'reboot', undefined]);
  });

  test("boot 7: kill -9 at every journaled step of tune's writes and of verify's revert; revert --all restores the original each time", async () => {
    const g = seq.guest;
    await writeGuestFile(g, `${RULES_DIR}/test-haltpoll.yaml`, HALTPOLL_RULE_YAML); // /tmp is the initramfs: gone since boot 3
    expect((await g.runBytes(`cat ${KERNEL_CMDLINE}`)).stdout.equals(originalFile)).toBe(true);
    await sh(g, `cp ${KERNEL_CMDLINE} /tmp/original-cmdline`);
    // Both phases' words at once: tune's writes, and verify's revert of them. verify judges only a
    // boot that happened: the record is edited to say it was armed in an earlier boot (what a reboot
    // does to it); nothing is in effect here, so verify reverts at once, through the same journaled
    // steps as after a reboot.
    const tune = `${NV} tune ${TARGET} --persist --yes --only ${POLL_RULES},${HALTPOLL_RULE} --rules ${RULES_DIR} --round 20ms --budget 30s --no-trace --json > /dev/null 2>&1`;
    // One console round trip per step: run, revert --all, then what is left.
    const check = `echo rc=$?; ${NV} revert --all --json > /dev/null 2>&1 || echo revert-failed; test -e ${STATE}/pending-verify.json && echo still-armed; cmp -s ${KERNEL_CMDLINE} /tmp/original-cmdline || echo changed; true`;
    const crashed: Record<string, number> = { tune: 0, verify: 0 };
    for (const phase of ['tune', 'verify'] as const) {
      for (let n = 1; n < 30; n++) {
        const env = `NVPROBE_TEST_CRASH_AT=${n}`;
        const script =
          phase === 'tune' ? `${env} ${tune}; ${check}` : `${tune}; test $? = 7 || { echo tune-failed; exit 1; }; ${EARLIER_BOOT}; ${env} ${NV} verify --json --settle 0 > /dev/null 2>&1; ${check}`;
        const out = (await sh(g, script)).trim().split('\n');
        const rc = out[0];
        // After the kill (137) or after the command finished (tune: 7, reboot required; verify: 8, reverted):
        // revert --all worked, nothing is armed, the file is the original byte for byte.
        expect(out.slice(1), `${phase}, crash point ${n}: ${out.join(' ')}`).toEqual([]);
        if (rc === 'rc=137') {
          crashed[phase]! += 1;
          continue;
        }
        expect(rc, `${phase} at ${n}`).toBe(phase === 'tune' ? 'rc=7' : 'rc=8');
        break;
      }
    }
    console.log(`reboot-tune crash points: tune killed at ${crashed.tune} steps, verify at ${crashed.verify}`);
    expect(crashed.tune).toBeGreaterThanOrEqual(3);
    expect(crashed.verify).toBeGreaterThanOrEqual(2);
    const status = await json<StatusDocument>(g, `${NV} status --json`, [0, 8]);
    expect(status.pending).toBeNull();
    expect(status.entries).toEqual([]);
  });

  test('boot 7 → 8: the boot configuration on the host equals the original, and so does the next /proc/cmdline', async () => {
    let between: Buffer | null = null;
    const g8 = await seq.reboot('reboot', { between: () => (between = seq.readFile(KERNEL_CMDLINE)) });
    expect(between!.equals(originalFile)).toBe(true);
    expect(await sh(g8, 'cat /proc/cmdline')).toBe(original);
  });
});

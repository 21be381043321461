import { median } from 'simple-statistics';
import * as fs from 'node:fs';
import type { Root } from '../host/root.js';
import { runCommand } from '../host/commands.js';
import { ExitCode, NvprobeError } from '../errors.js';
import type { IoEngine } from '../io/engine.js';
import type { EngineChoice } from '../contracts/probe-document.js';
import { openTarget } from '../measure/probe-pipeline.js';
import { Applier } from './applier.js';
import { Journal } from './journal.js';
import { Meter } from './meter.js';
import { FALSE_KEEP_RATE, intervalText, MIN_GAIN } from './decision.js';
import { cpuWorkNs, hostShift, stealBetween } from './host-reference.js';
import { readCpuTimes } from '../host/cpu-times.js';
import type { HostReference, Verdict } from '../contracts/boot-verdict.js';
import { rankSumBounds } from './rank-test.js';
import { bootedSince, checkExpectations, disarm, LAST_VERDICT, PENDING_VERIFY, readPending, writeState, type MeasureSettings, type PendingVerify } from './pending-verify.js';
import { undoRun } from './session.js';

/** Rounds measured before the reboot and again after it: enough for the rank-sum bound at FALSE_KEEP_RATE. */
export const VERIFY_ROUNDS = 12;
/** Even the conservative end of the interval must be at least this much lower than the baseline to keep the changes. */
export const VERIFY_MARGIN = MIN_GAIN;

/**
 * The margin `nvprobe verify` applies: VERIFY_MARGIN, or, for tests only (the QEMU lab forces the
 * revert branch with 1: no ratio is below 0), NVPROBE_TEST_VERIFY_MARGIN. Not a user setting.
 */
export function verifyMargin(): number {
  const t = process.env.NVPROBE_TEST_VERIFY_MARGIN?.trim();
  if (!t) return VERIFY_MARGIN;
  const n = Number(t);
  if (!Number.isFinite(n)) throw new NvprobeError(`NVPROBE_TEST_VERIFY_MARGIN is '${t}', not a number`, { hint: 'a test-only setting: unset it' });
  return n;
}

/** p50 (µs, corrected) of each of `n` rounds on an open engine, with the host reference around them. */
export async function measureRounds(root: Root, engine: IoEngine, spanBytes: number, roundMs: number, n: number): Promise<{ roundsP50Us: number[]; reference: HostReference }> {
  const meter = new Meter(engine, spanBytes, roundMs);
  const roundsP50Us: number[] = [];
  const cpuBefore = cpuWorkNs();
  const t0 = readCpuTimes(root);
  for (let i = 0; i < n; i++) roundsP50Us.push((await meter.round()).figures.p50Us);
  const t1 = readCpuTimes(root);
  const cpuAfter = cpuWorkNs();
  return { roundsP50Us, reference: { cpuWorkNs: Math.min(cpuBefore, cpuAfter), stealShare: stealBetween(t0, t1) } };
}

/** Wait (at most `maxMs`) until the 1-minute load average is below half the CPUs: a boot settles. */
export async function waitForQuiet(root: Root, maxMs: number, say: (t: string) => void): Promise<void> {
  const cpus = Math.max(1, (root.text('/proc/cpuinfo')?.match(/^processor\s*:/gm) ?? []).length);
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    const load = Number((root.text('/proc/loadavg') ?? '0').split(/\s+/)[0]);
    if (!(load >= cpus / 2)) return;
    say(`waiting for the boot to settle (load ${load})`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** The command that reboots: NVPROBE_REBOOT_COMMAND (tests, the lab), else systemctl reboot, else reboot. */
export function rebootNow(): { ok: boolean; argv: string[]; output: string } {
  const env = process.env.NVPROBE_REBOOT_COMMAND?.trim();
  const argv = env ? env.split(/\s+/) : fs.existsSync('/run/systemd/system') ? ['systemctl', 'reboot'] : ['reboot'];
  const r = runCommand(argv, 60_000);
  return { ...r, argv };
}

export interface VerifyOptions {
  /** Where the checks read (the machine, or a captured tree for offline tests and repair). */
  root: Root;
  /** The live root the measurement opens its target through. */
  measureRoot: Root;
  dir: string;
  settleMs: number;
  rounds: number;
  margin: number;
  say: (t: string) => void;
}

/**
 * The one-shot boot-time verification. Bounded: the boot counter is incremented and made durable
 * before anything else, so whatever crashes where, the third boot after arming only reverts and
 * disarms; a reboot to put things back happens only from the first.
 */
export async function verifyAfterBoot(o: VerifyOptions): Promise<Verdict | null> {
  const pending = readPending(o.dir);
  if (pending === null) return null;
  refuseWrongSystem(o.root, pending);
  // Before the reboot there is nothing to judge: reverting now would undo the kept runtime changes
  // too, and a --reboot record would reboot for nothing. Nothing is changed, not even the counter.
  if (bootedSince(o.root, pending) === false) {
    throw new NvprobeError(
      `the machine has not booted since tune --persist armed this verification (${pending.bootId ? 'boot id unchanged' : 'boot time before arming'}, run ${pending.run}): nothing judged, nothing reverted`,
      { exitCode: ExitCode.rebootRequired, hint: 'reboot first; nvprobe-verify.service runs verify at the next boot (nvprobe revert undoes the changes without one)' },
    );
  }
  pending.boots += 1;
  writeState(o.dir, PENDING_VERIFY, pending);

  const journal = Journal.open(o.dir);
  const revert = () => undoRun(new Applier(o.root, journal, pending.run), journal, pending.run);
  const base = {
    run: pending.run,
    at: new Date().toISOString(),
    boot: pending.boots,
    baselineMedianP50Us: pending.baseline.medianP50Us,
    baselineRoundsP50Us: pending.baseline.roundsP50Us,
    margin: o.margin,
  };
  const finish = (v: Verdict): Verdict => {
    writeState(o.dir, LAST_VERDICT, v);
    disarm(o.dir);
    journal.archiveIfSettled(`${o.dir}/runs`);
    return v;
  };
  const mayReboot = pending.reboot && pending.boots < pending.maxBoots;

  if (journal.outstanding(pending.run).length === 0) {
    return finish({
      ...base,
      verdict: 'reverted-not-in-effect',
      reason: `run ${pending.run}'s changes were reverted before this boot (nvprobe revert): nothing to verify`,
      checks: [],
      afterRoundsP50Us: null,
      afterMedianP50Us: null,
      ratio: null,
      rebooting: false,
    });
  }
  if (pending.boots > pending.maxBoots) {
    revert();
    return finish({
      ...base,
      verdict: 'reverted-boot-bound',
      reason: `boot ${pending.boots} since arming exceeds the bound of ${pending.maxBoots} (an earlier verification did not finish): the changes were reverted, no reboot`,
      checks: [],
      afterRoundsP50Us: null,
      afterMedianP50Us: null,
      ratio: null,
      rebooting: false,
    });
  }
  const checks = checkExpectations(o.root, pending.expects);
  const missing = checks.filter((c) => !c.inEffect);
  if (missing.length > 0) {
    revert();
    const reason = `not in effect after the reboot: ${missing.map((m) => `${m.change} (${m.why ?? 'unknown'})`).join('; ')}; the changes were reverted`;
    return finish({ ...base, verdict: 'reverted-not-in-effect', reason, checks, afterRoundsP50Us: null, afterMedianP50Us: null, ratio: null, rebooting: mayReboot });
  }

  let after: number[];
  let reference: HostReference;
  try {
    await waitForQuiet(o.measureRoot, o.settleMs, o.say);
    ({ roundsP50Us: after, reference } = await measureWith(o.measureRoot, pending.settings, o.rounds, o.say));
  } catch (err) {
    revert();
    return finish({
      ...base,
      verdict: 'measure-failed',
      reason: `measuring ${pending.settings.target ?? 'the scratch file'} failed (${(err as Error).message}); the changes were reverted`,
      checks,
      afterRoundsP50Us: null,
      afterMedianP50Us: null,
      ratio: null,
      rebooting: mayReboot,
    });
  }
  const m = median(after);
  const judged = judgeBoots(pending.baseline.roundsP50Us, after, pending.baseline.reference ?? null, reference, o.margin);
  const figures = { checks, afterRoundsP50Us: after, afterMedianP50Us: m, ratio: judged.ratio, interval: judged.interval, reference: { before: pending.baseline.reference ?? null, after: reference } };
  if (judged.verdict === 'kept') return finish({ ...base, verdict: 'kept', reason: judged.reason, ...figures, rebooting: false });
  revert();
  return finish({ ...base, verdict: judged.verdict, reason: `${judged.reason}; the changes were reverted`, ...figures, rebooting: mayReboot });
}

/**
 * The boot-time decision: the rounds before the reboot against the rounds after it. Two periods
 * by nature, so two guards: a rank-sum interval whose conservative end must clear the margin (a
 * burst in either boot moves one rank, not the median), and the host reference measured in both
 * boots (the same CPU work, the steal share). A host that got faster could make the gain: its CPU
 * speed-up is taken off the bar (the interval must clear the margin AND the speed-up), and a drop
 * in steal, which nothing bounds, keeps nothing. A host that got slower works against the gain: a
 * gain measured despite it is kept, and a missing gain is put down to the host, not the changes.
 */
export function judgeBoots(
  before: number[],
  after: number[],
  refBefore: HostReference | null,
  refAfter: HostReference | null,
  margin: number,
): { verdict: Extract<Verdict['verdict'], 'kept' | 'reverted-no-gain' | 'reverted-too-noisy' | 'reverted-host-changed'>; ratio: number; interval: [number | null, number | null]; reason: string } {
  const b = rankSumBounds(before.map(Math.log), after.map(Math.log), FALSE_KEEP_RATE);
  const ratio = Math.exp(b.estimate);
  const interval: [number | null, number | null] = [Number.isFinite(b.lower) ? Math.exp(b.lower) : null, Number.isFinite(b.upper) ? Math.exp(b.upper) : null];
  const fmt = (x: number) => x.toFixed(1);
  const figures = `median p50 ${fmt(median(after))} µs over ${after.length} rounds vs ${fmt(median(before))} µs over ${before.length} before the reboot (ratio ${ratio.toFixed(3)}, interval ${intervalText(interval)})`;
  const shift = refBefore && refAfter ? hostShift(refBefore, refAfter) : null;
  if (shift?.unbounded)
    return { verdict: 'reverted-host-changed', ratio, interval, reason: `${figures}; but the host changed between the boots (${shift.favouring}): the difference cannot be put down to the changes` };
  // A faster CPU may account for up to its own speed-up of each read: that much is not credited.
  const speedUp = shift?.favouring ? Math.min(1, shift.cpuRatio) : 1;
  const threshold = (1 - margin) * speedUp;
  const bar = speedUp < 1 ? `the ${margin * 100} % margin and the host's own ${((1 - speedUp) * 100).toFixed(1)} % speed-up (${shift!.favouring})` : `the ${margin * 100} % margin`;
  const unguarded = shift ? '' : ' (no host reference from before the reboot: not guarded against a host change)';
  const despite = shift?.against ? `, although the host got slower between the boots (${shift.against}), which works against the gain` : '';
  if (interval[1] !== null && interval[1] <= threshold)
    return { verdict: 'kept', ratio, interval, reason: `${figures}: at least ${((1 - interval[1]) * 100).toFixed(1)} % lower, beyond ${bar}${despite}: kept${unguarded}` };
  if (speedUp < 1 || shift?.against)
    return {
      verdict: 'reverted-host-changed',
      ratio,
      interval,
      reason: `${figures}; but the host changed between the boots (${[shift!.favouring, shift!.against].filter(Boolean).join(', ')}): no gain beyond ${bar} can be put down to the changes`,
    };
  if (interval[0] !== null && interval[0] > threshold) return { verdict: 'reverted-no-gain', ratio, interval, reason: `${figures}: no gain of ${margin * 100} % or more` };
  return { verdict: 'reverted-too-noisy', ratio, interval, reason: `${figures}: too noisy to decide, the interval neither shows nor rules out a gain of ${margin * 100} %` };
}

async function measureWith(root: Root, s: MeasureSettings, rounds: number, say: (t: string) => void): Promise<{ roundsP50Us: number[]; reference: HostReference }> {
  const opened = await openTarget(root, { target: s.target ?? undefined, blockSize: s.blockSize, rampMs: 0, cpu: null, engine: s.engine as EngineChoice, hipri: true, spanLimit: s.spanBytes }, say);
  try {
    say(`measuring ${rounds} rounds`);
    return await measureRounds(root, opened.engine.engine, opened.target.spanBytes, s.roundMs, rounds);
  } finally {
    opened.engine.engine.close();
    opened.scratch?.remove();
  }
}

/**
 * `verify --root TREE` judges and reverts the tree the armed run wrote into, and plain `verify`
 * this machine: never one system's boot state against the other's journal (reverting a tree's
 * copies while the live changes stay, or the reverse, and marking them undone).
 */
function refuseWrongSystem(root: Root, pending: PendingVerify): void {
  const armedOn = pending.root ?? null;
  const here = root.live ? null : realRoot(root.dir);
  if (armedOn === here) return;
  const name = (r: string | null) => (r === null ? 'this machine' : `the tree ${r}`);
  throw new NvprobeError(`run ${pending.run} changed ${name(armedOn)}, not ${name(here)}: verify judges only the system the changes were made on; nothing judged, nothing reverted`, {
    exitCode: ExitCode.usage,
    hint: armedOn === null ? 'run nvprobe verify without --root, on this machine' : `run nvprobe verify --root ${armedOn}`,
  });
}

function realRoot(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir;
  }
}

import { TUNE_SCHEMA_VERSION, type PersistedReport, type TuneReport } from '../contracts/tune-document.js';
import { detectSnapshot } from '../detect/snapshot.js';
import { ExitCode, NvprobeError, usageError } from '../errors.js';
import { registerCleanup } from '../host/cleanup.js';
import { isRoot } from '../host/file-info.js';
import { Root } from '../host/root.js';
import { acquireLock } from '../host/run-lock.js';
import { saveRun } from '../host/run-store.js';
import { checkedStateDir } from '../host/state-dir-check.js';
import { stateDirFlag } from '../host/state-dir.js';
import { planPersistence } from '../knobs/persist/persist-plan.js';
import type { OpenedEngine } from '../measure/engine-choice.js';
import { openEngine, type OpenedTarget, openTarget } from '../measure/probe-pipeline.js';
import { probeTraceSpec } from '../measure/traced-measurement.js';
import { checkTargetKind, inspectTarget } from '../measure/target.js';
import { evaluateRules } from '../rules/evaluate.js';
import type { LoadedRules } from '../rules/load.js';
import type { ResolvedAction } from '../contracts/actions.js';
import { Applier, WriteRefused } from './applier.js';
import { measureRounds, rebootNow, VERIFY_MARGIN, VERIFY_ROUNDS } from './boot-verify.js';
import { Journal } from './journal.js';
import { currentBootId, diskDriver, expectationsFor, PENDING_VERIFY, pendingRecord, readVerdict, writeState } from './pending-verify.js';
import { planTune, skipUnkeptRebootOnly } from './plan.js';
import { newRunId } from './run-id.js';
import { runSession, undoRun } from './session.js';
import { targetDisk } from './target-disk.js';
import { refuseAfterUnfinishedRun, refuseWhileVerificationArmed } from './tune-refusals.js';
import type { Expectation } from '../contracts/boot-verdict.js';
import type { TunePlan } from '../contracts/tune-plan.js';

export interface TuneSettings {
  target?: string;
  dryRun: boolean;
  yes: boolean;
  persist: boolean;
  /** With --persist: reboot when a change needs it (verify runs at the next boot). */
  reboot: boolean;
  budgetMs: number;
  roundMs: number;
  /** At most this many blocks of four rounds per change (the sequential test stops earlier when it can decide). */
  maxBlocks: number;
  /** No polling setting is kept that spins an idle vCPU more than this share of its time; null: no cap. */
  maxIdlePollShare: number | null;
  json: boolean;
  rulesDir?: string;
  stateDir?: string;
  spanLimit?: number;
  /** Rule or finding ids to restrict the run to. */
  only?: string[];
  /** One traced measurement of the baseline and one of the final state (per-phase before/after); off with --no-trace. */
  trace: boolean;
}

export interface TuneProgress {
  update(text: string): void;
  stop(): void;
}

/** What the run needs from the command that starts it: the terminal side, and what it is. */
/** What the question before a tune says besides the plan. */
export interface ConfirmFacts {
  budgetMs: number;
  /** What the measuring reads load: "/dev/vdb", "the disk under /". */
  measured: string;
  persist: boolean;
  /** The command that undoes this run, with the state dir it uses. */
  revertCommand: string;
}

export interface TuneUi {
  nvprobeVersion: string;
  /** The rules (built-in, local, --rules DIR); an invalid file stops the run before anything is read. */
  loadRules(rulesDir: string | undefined): LoadedRules;
  /** Ask before changing anything (never called with --yes); throws when not confirmed. */
  confirm(plan: TunePlan, facts: ConfirmFacts): Promise<void>;
  startProgress(): Promise<TuneProgress>;
  /** Show the report: the plan alone on a dry run, else what the run did. */
  show(report: TuneReport): void;
  /** A line for stderr: what went wrong after the report was shown. */
  warn(line: string): void;
}

/**
 * `nvprobe tune`: plan the changes the findings recommend, try each one measured against the old
 * value, keep what helps, persist what was kept (and what only a reboot applies) with --persist,
 * and arm the next boot's verification. Returns the exit code.
 */
export async function runTune(s: TuneSettings, ui: TuneUi): Promise<number> {
  const started = performance.now(); // --budget bounds the whole run, scratch file included
  const root = new Root('/');
  // Bad input is refused before anything is read, planned or changed (exit 2): the state dir
  // (never on procfs, never someone else's) and the TARGET, validated exactly as probe does.
  const dir = checkedStateDir(s.stateDir, 'tune');
  if (s.target !== undefined) checkTargetKind(s.target);
  const rules = ui.loadRules(s.rulesDir);
  const all = evaluateRules(detectSnapshot(root), rules.rules);
  const findings = s.only ? all.filter((f) => s.only!.includes(f.id) || s.only!.includes(f.ruleId)) : all;
  const unknown = s.only?.filter((id) => !all.some((f) => f.id === id || f.ruleId === id));
  if (unknown?.length) throw usageError(`--only: no rule or finding ${unknown.map((u) => `'${u}'`).join(', ')}`, 'see `nvprobe check --all` for the ids');
  const disk = targetDisk(root, s.target);
  const plan = skipUnkeptRebootOnly(planTune(root, findings, disk, { named: s.only !== undefined }), readVerdict(dir), s.only !== undefined);
  const expects = s.persist
    ? expectationsFor(
        plan.rebootOnly.map((r) => r.action),
        disk,
        diskDriver(root, disk),
      )
    : [];
  const verifySteps = (armedFile: string) => [
    `write the reboot-only change(s) (${plan.rebootOnly.map((r) => `${r.action.target}=${r.action.value}`).join(', ')}) through the journal`,
    `measure the baseline (${VERIFY_ROUNDS} rounds) and arm a one-shot verification in ${armedFile}`,
    s.reboot ? 'then reboot' : 'then reboot when it suits you (exit code 7: reboot required)',
    `then verify: at the next boot nvprobe-verify.service runs \`nvprobe verify\`: checks each change took effect, measures ${VERIFY_ROUNDS} rounds, keeps the changes only if even the conservative end of the interval is ${VERIFY_MARGIN * 100} % lower and the host did not change between the boots, else reverts them${s.reboot ? ' and reboots once more' : ''}`,
  ];
  const base = { schemaVersion: TUNE_SCHEMA_VERSION, kind: 'nvprobe.tune' as const, nvprobeVersion: ui.nvprobeVersion, createdAt: new Date().toISOString(), plan };

  const persistOnly = plan.changes.length === 0 && s.persist && plan.rebootOnly.length > 0;
  if (s.dryRun || (plan.changes.length === 0 && !persistOnly)) {
    const verify = s.dryRun && expects.length > 0 ? { armed: false, file: null, reboot: s.reboot, steps: verifySteps(`${dir}/${PENDING_VERIFY}`), expects, baselineMedianP50Us: null } : null;
    const report: TuneReport = { ...base, run: null, dryRun: s.dryRun, result: null, target: null, engine: null, persisted: null, verify, savedTo: null };
    ui.show(report);
    return ExitCode.ok;
  }
  if (!isRoot()) throw new NvprobeError('tune changes kernel settings and needs root', { exitCode: ExitCode.needsRoot, hint: 'rerun as root (e.g. with sudo); --dry-run shows the plan without root' });
  if (s.target !== undefined) inspectTarget(root, s.target, 4096, s.spanLimit); // the rest of probe's checks, before any change
  if (!s.yes)
    await ui.confirm(plan, {
      budgetMs: s.budgetMs,
      measured: s.target ?? `the disk under / (${disk ?? 'or a scratch file on it'})`,
      persist: s.persist,
      revertCommand: `nvprobe revert${stateDirFlag(dir)}`,
    });

  const lock = acquireLock(dir, 'tune', { machine: true });
  const releaseAtExit = registerCleanup(() => lock.release());
  try {
    const journal = Journal.open(dir);
    refuseAfterUnfinishedRun(journal, dir);
    refuseWhileVerificationArmed(dir);
    const run = newRunId();
    const progress = await ui.startProgress();
    const opened = await openTarget(root, { target: s.target, blockSize: 4096, rampMs: 0, cpu: null, engine: 'auto', hipri: true, spanLimit: s.spanLimit, scratchDir: dir }, progress.update, ui.warn);
    // Ctrl-C or SIGTERM mid-run: put back what this run changed, then exit.
    const undoAtExit = registerCleanup(() => undoRun(new Applier(root, journal, run), journal, run));
    try {
      journal.append({ t: 'run', run, at: new Date().toISOString(), command: 'tune', nvprobeVersion: ui.nvprobeVersion });
      const result = persistOnly
        ? null
        : await runSession({
            root,
            journal,
            run,
            plan,
            target: opened.target,
            engine: opened.engine.engine,
            budgetMs: s.budgetMs - (performance.now() - started),
            roundMs: s.roundMs,
            maxBlocks: s.maxBlocks,
            passes: 3,
            pollWindowMs: 1000,
            maxIdlePollShare: s.maxIdlePollShare,
            trace: s.trace ? probeTraceSpec(root, opened.target, opened.engine.descriptor) : null,
            say: progress.update,
          });
      // Persist what was kept, and what only a reboot can apply (never measured: the user asked for it).
      // Reboot-only changes: the baseline the next boot's verification compares with, in the state they start from.
      let baseline: Awaited<ReturnType<typeof measureRounds>> | null = null;
      let baselineEngine = opened.engine.engine;
      if (expects.length > 0) {
        progress.update(`measuring the baseline (${VERIFY_ROUNDS} rounds) for the verification after the reboot`);
        const polled = pollingEngineAfterReboot(root, expects, opened);
        try {
          baselineEngine = polled?.engine ?? baselineEngine;
          baseline = await measureRounds(root, baselineEngine, opened.target.spanBytes, s.roundMs, VERIFY_ROUNDS);
        } finally {
          polled?.engine.close();
        }
      }
      const persisted = s.persist ? persist(root, journal, run, [...(result?.kept.map((k) => k.action) ?? []), ...plan.rebootOnly.map((r) => r.action)]) : null;
      progress.stop();
      journal.append({ t: 'end', run, status: result?.partial ? 'partial' : 'complete' });
      let verify: TuneReport['verify'] = null;
      if (baseline && persisted && persisted.writes.length > 0) {
        const record = pendingRecord({
          run,
          rebootOnly: plan.rebootOnly.map((r) => r.action),
          expects,
          reboot: s.reboot,
          settings: { target: opened.scratch ? null : opened.target.path, engine: baselineEngine.name, blockSize: 4096, spanBytes: opened.target.spanBytes, roundMs: s.roundMs },
          baselineRoundsP50Us: baseline.roundsP50Us,
          reference: baseline.reference,
          kernelClock: result?.kernelClock?.after ?? null,
          bootId: currentBootId(root),
        });
        const file = writeState(dir, PENDING_VERIFY, record);
        verify = { armed: true, file, reboot: s.reboot, steps: verifySteps(file), expects, baselineMedianP50Us: record.baseline.medianP50Us };
      }
      const report: TuneReport = {
        ...base,
        run,
        dryRun: false,
        target: opened.target,
        engine: { name: opened.engine.engine.name, polled: opened.engine.polled },
        result,
        persisted,
        verify,
        savedTo: null,
      };
      report.savedTo = saveRun(dir, run, report);
      journal.archiveIfSettled(`${dir}/runs`);
      ui.show(report);
      if (!verify) return ExitCode.ok;
      if (!s.reboot) return ExitCode.rebootRequired;
      const r = rebootNow();
      if (r.ok) return ExitCode.ok;
      ui.warn(`nvprobe: ${r.argv.join(' ')} failed (${r.output}); reboot by hand: the verification stays armed`);
      return ExitCode.rebootRequired;
    } finally {
      progress.stop();
      opened.engine.engine.close();
      opened.scratch?.remove();
      // Normal paths leave kept changes in place; only a failure or a signal undoes them.
      undoAtExit.cancel();
    }
  } finally {
    releaseAtExit.run();
  }
}

/**
 * Poll queues written for the next boot help only reads that poll: io_uring with IOPOLL (psync2's
 * RWF_HIPRI is ignored for synchronous reads since 5.19). When they are armed for the measured
 * disk and tune measures with psync2, the verification's baseline is io_uring's, completed by
 * interrupt now; after the reboot verify opens io_uring again, which then polls. null: keep the
 * session's engine (already io_uring, no poll-queue change for this disk, or io_uring unusable).
 */
function pollingEngineAfterReboot(root: Root, expects: Expectation[], opened: OpenedTarget): OpenedEngine | null {
  if (opened.engine.engine.name !== 'psync2' || opened.target.disk === null) return null;
  if (!expects.some((e) => e.kind === 'disk-poll' && e.disk === opened.target.disk)) return null;
  try {
    return openEngine(root, opened.target, { engine: 'io_uring', blockSize: 4096, hipri: true });
  } catch {
    return null;
  }
}

function persist(root: Root, journal: Journal, run: string, actions: ResolvedAction[]): PersistedReport {
  const plan = planPersistence(root, actions);
  const applier = new Applier(root, journal, run);
  try {
    for (const w of plan.writes) applier.apply(w.write, `persist: ${w.description}`);
  } catch (err) {
    undoRun(applier, journal, run);
    if (err instanceof WriteRefused) throw new NvprobeError(`${err.message}; every change of this run was reverted`, { exitCode: ExitCode.partial });
    throw err;
  }
  return { writes: plan.writes.map((w) => w.description), actions: plan.actions, notes: [...plan.notes, ...applier.notes], manual: plan.manual };
}

/**
 * The probe thread's reads on the target's device: what the before/after kernel-clock
 * measurements trace. The engine names the syscall its reads enter; one without (none) is not traced.
 */

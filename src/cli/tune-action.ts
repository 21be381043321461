import { createInterface } from 'node:readline/promises';
import { detectSnapshot } from '../detect/snapshot.js';
import { blockDeviceForDevno, findRootFsDevice } from '../detect/root-fs.js';
import { ExitCode, NvprobeError, usageError } from '../errors.js';
import { registerCleanup } from '../host/cleanup.js';
import { isRoot, statPath } from '../host/file-info.js';
import { Root } from '../host/root.js';
import { saveRun } from '../host/run-store.js';
import { acquireLock } from '../host/run-lock.js';
import { checkedStateDir } from '../host/state-dir-check.js';
import { stateDir as resolveStateDir } from '../host/state-dir.js';
import { checkTargetKind, inspectTarget } from '../measure/target.js';
import type { ProbeTarget } from '../contracts/probe-measurement.js';
import type { ReadTraceSpec } from '../trace/io-events.js';
import { traceDevices } from '../trace/target-devices.js';
import { evaluateRules } from '../rules/evaluate.js';
import { TUNE_SCHEMA_VERSION, type PersistedReport, type TuneReport } from '../contracts/tune-document.js';
import { renderTuneText } from '../report/tune-text.js';
import { planPersistence } from '../knobs/persist/persist-plan.js';
import type { ResolvedAction } from '../rules/types.js';
import { Applier, WriteRefused } from '../tune/applier.js';
import { Journal } from '../tune/journal.js';
import { planTune } from '../tune/plan.js';
import type { TunePlan } from '../contracts/tune-plan.js';
import { newRunId } from '../tune/run-id.js';
import { measureRounds, rebootNow, VERIFY_MARGIN, VERIFY_ROUNDS } from '../tune/boot-verify.js';
import { currentBootId, diskDriver, expectationsFor, PENDING_VERIFY, pendingRecord, readPending, writeState } from '../tune/pending-verify.js';
import type { Expectation } from '../contracts/boot-verdict.js';
import { runSession, undoRun } from '../tune/session.js';
import { openEngine, type OpenedTarget, openTarget } from '../measure/probe-pipeline.js';
import type { OpenedEngine } from '../measure/engine-choice.js';
import { startProgress } from './progress.js';
import { loadRulesOrFail } from './rules-loading.js';
import type { TuneSettings } from './tune-command.js';
import { nvprobeVersion } from './version.js';
import { printErrorLine, printJson, printText } from './output.js';
import { inlineStrings } from '../report/terminal-safe.js';

const TUNE_SCRATCH_BYTES = 512 << 20;

export async function tune(s: TuneSettings): Promise<number> {
  const started = performance.now(); // --budget bounds the whole run, scratch file included
  const root = new Root('/');
  // Bad input is refused before anything is read, planned or changed (exit 2): the state dir
  // (never on procfs, never someone else's) and the TARGET, validated exactly as probe does.
  const dir = checkedStateDir(s.stateDir, 'tune');
  if (s.target !== undefined) checkTargetKind(s.target);
  const rules = loadRulesOrFail(s.rulesDir);
  const all = evaluateRules(detectSnapshot(root), rules.rules);
  const findings = s.only ? all.filter((f) => s.only!.includes(f.id) || s.only!.includes(f.ruleId)) : all;
  const unknown = s.only?.filter((id) => !all.some((f) => f.id === id || f.ruleId === id));
  if (unknown?.length) throw usageError(`--only: no rule or finding ${unknown.map((u) => `'${u}'`).join(', ')}`, 'see `nvprobe check --all` for the ids');
  const disk = targetDisk(root, s.target);
  const plan = planTune(root, findings, disk);
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
  const base = { schemaVersion: TUNE_SCHEMA_VERSION, kind: 'nvprobe.tune' as const, nvprobeVersion: nvprobeVersion(), createdAt: new Date().toISOString(), plan };

  const persistOnly = plan.changes.length === 0 && s.persist && plan.rebootOnly.length > 0;
  if (s.dryRun || (plan.changes.length === 0 && !persistOnly)) {
    const verify = s.dryRun && expects.length > 0 ? { armed: false, file: null, reboot: s.reboot, steps: verifySteps(`${dir}/${PENDING_VERIFY}`), expects, baselineMedianP50Us: null } : null;
    const report: TuneReport = { ...base, run: null, dryRun: s.dryRun, result: null, target: null, engine: null, persisted: null, verify, savedTo: null };
    write(s, report);
    return ExitCode.ok;
  }
  if (!isRoot()) throw new NvprobeError('tune changes kernel settings and needs root', { exitCode: ExitCode.needsRoot, hint: 'rerun as root (e.g. with sudo); --dry-run shows the plan without root' });
  if (s.target !== undefined) inspectTarget(root, s.target, 4096, s.spanLimit); // the rest of probe's checks, before any change
  if (!s.yes) await confirm(plan);

  const lock = acquireLock(dir, 'tune', { machine: true });
  const releaseAtExit = registerCleanup(() => lock.release());
  try {
    const journal = Journal.open(dir);
    refuseAfterUnfinishedRun(journal, dir);
    refuseWhileVerificationArmed(dir);
    const run = newRunId();
    const progress = await startProgress(!s.json);
    const opened = await openTarget(
      root,
      { target: s.target, blockSize: 4096, rampMs: 0, cpu: null, engine: 'auto', hipri: true, spanLimit: s.spanLimit ?? (s.target ? undefined : TUNE_SCRATCH_BYTES), scratchDir: dir },
      progress.update,
    );
    // Ctrl-C or SIGTERM mid-run: put back what this run changed, then exit.
    const undoAtExit = registerCleanup(() => undoRun(new Applier(root, journal, run), journal, run));
    try {
      journal.append({ t: 'run', run, at: new Date().toISOString(), command: 'tune', nvprobeVersion: nvprobeVersion() });
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
            trace: s.trace ? traceSpec(root, opened.target, opened.engine.engine.name) : null,
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
      write(s, report);
      if (!verify) return ExitCode.ok;
      if (!s.reboot) return ExitCode.rebootRequired;
      const r = rebootNow();
      if (r.ok) return ExitCode.ok;
      printErrorLine(`nvprobe: ${r.argv.join(' ')} failed (${r.output}); reboot by hand: the verification stays armed`);
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
 * A run that was killed left its changes (maybe half a grid's trial value) in effect: measuring
 * on top of it would take those values for the machine's own. Refuse until they are put back.
 */
function refuseAfterUnfinishedRun(journal: Journal, dir: string): void {
  const unfinished = journal.unfinishedRuns();
  if (!unfinished.length) return;
  const u = unfinished.at(-1)!;
  throw usageError(
    `an earlier tune (run ${u.run}${u.at ? `, started ${u.at}` : ''}) did not finish (killed?): ${u.outstanding} of its change(s) may still be in effect, so this run would start from its values, not the machine's`,
    `run \`nvprobe revert${dir === resolveStateDir(undefined) ? '' : ` --state-dir ${dir}`}\` first (\`nvprobe status\` shows what is in effect)`,
  );
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

/**
 * A verification armed by an earlier `tune --persist` waits for the reboot: measuring now would
 * take a state the next boot changes for the machine's own, and a new record would replace it.
 */
function refuseWhileVerificationArmed(dir: string): void {
  const p = readPending(dir);
  if (!p) return;
  const flag = dir === resolveStateDir(undefined) ? '' : ` --state-dir ${dir}`;
  throw usageError(
    `run ${p.run} (armed ${p.armedAt}) wrote ${p.changes.join(', ')} for the next boot and its verification is still pending: tune again after the reboot`,
    `reboot (nvprobe-verify.service runs \`nvprobe verify${flag}\`), or undo it with \`nvprobe revert${flag}\``,
  );
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

/** The probe thread's reads on the target's device: what the before/after kernel-clock measurements trace. */
function traceSpec(root: Root, target: ProbeTarget, engine: string): ReadTraceSpec {
  return { syscall: engine === 'io_uring' ? 'io_uring_enter' : 'preadv2', who: { pid: process.pid }, devs: traceDevices(root, target.path, target.disk) };
}

/** Which disk the probe will read: the TARGET's, or the root filesystem's. */
function targetDisk(root: Root, target: string | undefined): string | null {
  if (target === undefined) return findRootFsDevice(root)?.disk ?? null;
  let info: ReturnType<typeof statPath>;
  try {
    info = statPath(target);
  } catch {
    throw usageError(`${target}: no such file or device`, 'give an existing file or block device, or no TARGET');
  }
  const dev = info.kind === 'block' ? info.rdev : info.dev;
  return dev.major === 0 ? null : (blockDeviceForDevno(root, dev.major, dev.minor)?.disk ?? null);
}

async function confirm(plan: TunePlan): Promise<void> {
  if (!process.stdin.isTTY) throw usageError('not a terminal, so nvprobe cannot ask before changing settings', 'pass --yes to apply without asking (or --dry-run to see the plan)');
  process.stderr.write(`nvprobe tune will try ${plan.changes.length} change(s), measuring each, and keep only what helps:\n`);
  for (const c of plan.changes) printErrorLine(`  ${c.action.target}: ${c.from.join(',')} -> ${c.action.grid ? `best of ${c.action.grid.join(', ')}` : c.action.value}`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question('Go ahead? [y/N] ');
  rl.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new NvprobeError('nothing changed: not confirmed', { exitCode: ExitCode.ok });
}

function write(s: TuneSettings, report: TuneReport): void {
  if (s.json) printJson(report);
  else
    printText(
      renderTuneText(inlineStrings(report)) +
        (report.verify ? `\n${report.verify.armed ? 'Armed for the next boot' : 'With --persist (not done: dry run)'}:\n${report.verify.steps.map((t) => `  - ${t}`).join('\n')}\n` : ''),
    );
}

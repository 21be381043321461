import { usageError } from '../errors.js';
import { stateDirFlag } from '../host/state-dir.js';
import type { Journal } from './journal.js';
import { readPending } from './pending-verify.js';

/**
 * A run that was killed left its changes (maybe half a grid's trial value) in effect: measuring
 * on top of it would take those values for the machine's own. Refuse until they are put back.
 */
export function refuseAfterUnfinishedRun(journal: Journal, dir: string): void {
  const unfinished = journal.unfinishedRuns();
  if (!unfinished.length) return;
  const u = unfinished.at(-1)!;
  throw usageError(
    `an earlier tune (run ${u.run}${u.at ? `, started ${u.at}` : ''}) did not finish (killed?): ${u.outstanding} of its change(s) may still be in effect, so this run would start from its values, not the machine's`,
    `run \`nvprobe revert${stateDirFlag(dir)}\` first (\`nvprobe status\` shows what is in effect)`,
  );
}

/**
 * A verification armed by an earlier `tune --persist` waits for the reboot: measuring now would
 * take a state the next boot changes for the machine's own, and a new record would replace it.
 */
export function refuseWhileVerificationArmed(dir: string): void {
  const p = readPending(dir);
  if (!p) return;
  const flag = stateDirFlag(dir);
  throw usageError(
    `run ${p.run} (armed ${p.armedAt}) wrote ${p.changes.join(', ')} for the next boot and its verification is still pending: tune again after the reboot`,
    `reboot (nvprobe-verify.service runs \`nvprobe verify${flag}\`), or undo it with \`nvprobe revert${flag}\``,
  );
}

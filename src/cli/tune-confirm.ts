import { createInterface } from 'node:readline/promises';
import { ExitCode, NvprobeError, usageError } from '../errors.js';
import { printErrorLine } from './output.js';
import type { TunePlan } from '../contracts/tune-plan.js';
import type { ConfirmFacts } from '../tune/tune-run.js';

/**
 * Ask on the terminal before tune changes anything; anything but yes stops it (exit 0, nothing
 * changed). The question says what a production user must know first: what flips, for how long,
 * on which disk, what only a reboot applies, and how to undo it.
 */
export async function confirmTunePlan(plan: TunePlan, f: ConfirmFacts): Promise<void> {
  if (!process.stdin.isTTY) throw usageError('not a terminal, so nvprobe cannot ask before changing settings', 'pass --yes to apply without asking (or --dry-run to see the plan)');
  const out = (line: string) => printErrorLine(line);
  if (plan.changes.length) {
    out(`nvprobe tune will try ${plan.changes.length} change(s) on this live system, measuring for up to ${Math.round(f.budgetMs / 1000)} s in all, and keep only what measurably helps:`);
    for (const c of plan.changes) out(`  ${c.action.target}: ${c.from.join(',')} -> ${c.action.grid ? `best of ${c.action.grid.join(', ')}` : c.action.value}`);
    out(`While it measures, these settings switch back and forth under whatever else runs here, and its QD1 reads (one at a time) load ${f.measured}.`);
  }
  if (plan.rebootOnly.length) {
    out(f.persist ? 'Written for the next boot (--persist), then verified after the reboot:' : 'Recommended but only effective after a reboot (not changed; add --persist to write them):');
    for (const r of plan.rebootOnly) out(`  ${r.action.target} = ${r.action.value}`);
  }
  out(`Every change is journaled before it is made; Ctrl-C puts back what this run changed; undo it later with: ${f.revertCommand}`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question('Go ahead? [y/N] ');
  rl.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new NvprobeError('nothing changed: not confirmed', { exitCode: ExitCode.ok });
}

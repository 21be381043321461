import { createInterface } from 'node:readline/promises';
import { ExitCode, NvprobeError, usageError } from '../errors.js';
import { printErrorLine } from './output.js';
import type { TunePlan } from '../contracts/tune-plan.js';

/** Ask on the terminal before tune changes anything; anything but yes stops it (exit 0, nothing changed). */
export async function confirmTunePlan(plan: TunePlan): Promise<void> {
  if (!process.stdin.isTTY) throw usageError('not a terminal, so nvprobe cannot ask before changing settings', 'pass --yes to apply without asking (or --dry-run to see the plan)');
  process.stderr.write(`nvprobe tune will try ${plan.changes.length} change(s), measuring each, and keep only what helps:\n`);
  for (const c of plan.changes) printErrorLine(`  ${c.action.target}: ${c.from.join(',')} -> ${c.action.grid ? `best of ${c.action.grid.join(', ')}` : c.action.value}`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question('Go ahead? [y/N] ');
  rl.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new NvprobeError('nothing changed: not confirmed', { exitCode: ExitCode.ok });
}

import type { Root } from '../host/root.js';
import { activeChoice } from '../host/sysfs-choice.js';
import type { ResolvedAction } from '../contracts/actions.js';
import type { Write } from './write.js';

/** A runtime knob kind: where an action's value lives, how to read it, what to write. */
export interface RuntimeKnob {
  /** The attribute paths this action touches (several for per-CPU knobs). */
  paths(root: Root, action: ResolvedAction): string[];
  /** The live value in the form actions use (`none`, not `[none] mq-deadline`), one per path. */
  read(root: Root, action: ResolvedAction): Array<string | null>;
  /** Writes that set `value` (default: the action's). Simulate = compute only, which is all this does. */
  writes(root: Root, action: ResolvedAction, value?: string | number): Write[];
  /** Whether the live value(s) equal `value`. */
  verify(root: Root, action: ResolvedAction, value?: string | number): boolean;
  /**
   * What it takes, after a write, for the value to be what the next measurement sees (absent:
   * nothing, the write itself). Awaited before the next measuring round.
   */
  settle?(root: Root, action: ResolvedAction): Promise<void>;
}

/** The active choice of a `[x] y z` list attribute, or the trimmed value. */
export function activeValue(raw: string | null): string | null {
  if (raw === null) return null;
  return activeChoice(raw) ?? raw.trim();
}

export function sameValue(a: string | null, b: string | number): boolean {
  if (a === null) return false;
  const bs = String(b);
  if (a === bs) return true;
  // Boolean module parameters read back as Y/N.
  const truthy = (x: string) => (x === 'Y' || x === '1' ? '1' : x === 'N' || x === '0' ? '0' : x);
  return truthy(a) === truthy(bs);
}

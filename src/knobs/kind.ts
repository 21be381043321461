import type { ActionSpec, ResolvedAction } from '../contracts/actions.js';
import type { RuleScope } from '../contracts/rule-types.js';
import type { Root } from '../host/root.js';
import type { RuntimeKnob } from './knob.js';
import type { ActionRoute } from './persist/action-route.js';

/** A problem with a rule's action, where it is (`rules[2].actions[0].attr`) and what is wrong. */
export interface ActionProblem {
  at: string;
  message: string;
}

/** What resolving an action adds for this machine, besides its value: the target, and what it names. */
export interface ResolvedTarget {
  /** Human- and journal-friendly, e.g. `vda:queue/scheduler`, `haltpoll.guest_halt_poll_ns`. */
  target: string;
  disk?: string;
  attr?: string;
  module?: string;
  param?: string;
}

/**
 * What a boot with a boot-time action in effect shows, for `nvprobe verify` to check after the
 * reboot: the command-line word it writes, and the module parameter it sets.
 */
export interface BootSetting {
  /** The `k=v` word /proc/cmdline must hold; null where the action writes none (modprobe.d). */
  cmdlineWord: string | null;
  /** The module and parameter it sets, as the kernel names them; null where it names none. */
  module: string | null;
  param: string | null;
}

interface KnobKindBase {
  /** The `kind:` of rule actions, and of resolved actions in plans and saved runs. */
  name: string;
  /** Every key a rule's action of this kind may have, `kind` included; any other is refused at load. */
  keys: readonly string[];
  /**
   * `disk`: changes one disk (its rule needs scope: disk; tune measures it only on the disk the
   * probe reads, after the machine-wide changes). `machine`: changes what every disk sees.
   */
  scope: RuleScope;
  /**
   * What a rule's action of this kind names that is outside its allowlist. Rules are data that
   * root runs: this is where a hostile or mistaken rule is refused (host/ refuses any write outside
   * host/write-allowlist.ts again, whatever passes here).
   */
  check(action: Readonly<Record<string, unknown>>, at: string): ActionProblem[];
  /** The target on this machine, for the spec's value (placeholders filled) and the rule's disk. */
  resolve(spec: ActionSpec, value: string | number, disk: string | undefined): ResolvedTarget;
  /** Where a kept action persists, or why it does not (tune --persist). */
  route(root: Root, action: ResolvedAction): ActionRoute;
}

/** Takes effect at once: tune sets it, measures it and journals every write. */
export interface RuntimeKnobKind extends KnobKindBase {
  takesEffect: 'runtime';
  knob: RuntimeKnob;
}

/** Takes effect only at the next boot: written with --persist, never measured, verified after the reboot. */
export interface BootKnobKind extends KnobKindBase {
  takesEffect: 'boot';
  bootSetting(action: ResolvedAction): BootSetting;
}

/** One kind of change nvprobe may make: everything that kind means, in one descriptor. */
export type KnobKind = RuntimeKnobKind | BootKnobKind;

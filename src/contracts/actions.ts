/** What a rule may change in the guest: only these kinds, each with an allowlisted target. */
export type ActionSpec =
  | { kind: 'queue-attr'; attr: string; value: string | number; grid?: Array<string | number> }
  | { kind: 'module-param'; module: string; param: string; value: string | number; grid?: Array<string | number> }
  | { kind: 'pm-qos'; value: number; grid?: number[] }
  | { kind: 'kernel-cmdline'; param: string; value: string | number }
  | { kind: 'modprobe-option'; module: string; param: string; value: string | number }
  /** Load a module at runtime with one parameter (`modprobe cpuidle-haltpoll force=1`); revert unloads it. */
  | { kind: 'module-load'; module: string; param: string; value: string | number };

export type ActionKind = ActionSpec['kind'];

/** An action with everything resolved for this machine: which disk, which value. */
export interface ResolvedAction {
  kind: ActionKind;
  /** Human- and journal-friendly target, e.g. `vda:queue/scheduler`, `haltpoll.guest_halt_poll_ns`. */
  target: string;
  disk?: string;
  module?: string;
  param?: string;
  attr?: string;
  value: string | number;
  grid?: Array<string | number>;
  runtime: boolean;
  reboot: boolean;
}

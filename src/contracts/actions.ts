/**
 * What a rule asks to change in the guest, as its YAML gives it: a kind and that kind's keys.
 * Which kinds exist, which keys each takes and what each may name belong to the kind's
 * descriptor (src/knobs/kinds/), which checks every action when rules load: a kind is a name
 * here so that adding one takes no edit of this file.
 */
export type ActionKind = string;

export interface ActionSpec {
  kind: ActionKind;
  value: string | number;
  /** Values tune tries, to choose the best (kinds that take a grid). */
  grid?: Array<string | number>;
  /** A block queue attribute (`scheduler`), for queue kinds. */
  attr?: string;
  /** A kernel module (`haltpoll`), for module kinds. */
  module?: string;
  /** A module or kernel command-line parameter. */
  param?: string;
}

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

import type { ActionSpec, ResolvedAction } from './actions.js';

/** A comparison value: a literal, or another field of the same scope. */
export type Operand = string | number | boolean | null | { field: string };

export type Condition = { all: Condition[] } | { any: Condition[] } | { not: Condition } | { field: string; op: Comparison; value: Operand | Operand[] };

export const COMPARISONS = ['equals', 'notEquals', 'in', 'notIn', 'exists', 'lt', 'lte', 'gt', 'gte', 'range', 'versionAtLeast', 'versionBelow', 'contains', 'notContains'] as const;
export type Comparison = (typeof COMPARISONS)[number];

export type Severity = 'info' | 'low' | 'medium' | 'high';
export type RuleScope = 'machine' | 'disk';

export interface HostAdvice {
  text: string;
  libvirtXml?: string;
  qemu?: string;
}

export interface Rule {
  id: string;
  /** The finding's title when the check fires (the problem, or the info). */
  title: string;
  /** The title when the rule applies and the check does not fire: what is fine, never the problem. */
  okTitle: string | null;
  /** A neutral line naming what the rule looks at: the title of `n/a` findings (and of `ok` ones without okTitle). */
  about: string | null;
  scope: RuleScope;
  severity: Severity;
  applies: Condition;
  check: Condition;
  rationale: string;
  references: string[];
  /** Guest changes. `prerequisite`: kept by tune without a measured gain (it enables others). */
  actions: ActionSpec[];
  prerequisite: boolean;
  hostAdvice: HostAdvice | null;
  /**
   * What applying the change gives up (e.g. monitoring). Such a recommendation is listed apart,
   * and tune tries it only when it is named with --only.
   */
  tradeoff?: string;
  /** Fixed status when the check fires, instead of the default (recommend / advise / info). */
  status?: 'info';
  /** Where it was loaded from, for messages. */
  file: string;
}

export type FindingStatus = 'ok' | 'recommend' | 'advise' | 'info' | 'n/a';

export interface Evidence {
  field: string;
  value: unknown;
  /** The file the value came from, where known (e.g. /sys/block/vda/queue/scheduler). */
  source?: string;
}

export interface Finding {
  id: string;
  ruleId: string;
  title: string;
  status: FindingStatus;
  severity: Severity;
  /** The disk a per-disk rule speaks of; null for machine-wide rules. */
  subject: string | null;
  evidence: Evidence[];
  rationale: string;
  references: string[];
  actions: ResolvedAction[];
  prerequisite: boolean;
  hostAdvice: HostAdvice | null;
  reboot: boolean;
  /** The rule's trade-off (see Rule.tradeoff); absent when the change costs nothing else. */
  tradeoff?: string;
  /**
   * What `nvprobe tune` last measured on this machine for this finding's change (from its saved
   * runs), when it did. Absent when no saved run tried it.
   */
  measured?: MeasuredVerdict;
}

/** The latest before/after verdict tune reached for one change a finding recommends. */
export interface MeasuredVerdict {
  /** The tune run that measured it (its saved run is <state>/runs/<runId>.json). */
  runId: string;
  /** When that run started (ISO 8601, UTC). */
  at: string;
  /** The action target measured, e.g. `vda:queue/scheduler`. */
  target: string;
  from: Array<string | null>;
  to: string | number | null;
  decision: 'kept' | 'reverted';
  /** Tune's reason in words, e.g. "p50 8.8 % higher: slower with the change, 3 of 3 pairs agree". */
  reason: string;
  /** Median p50 of the rounds without and with the change (µs); null where tune has no such rounds. */
  p50BeforeUs: number | null;
  p50AfterUs: number | null;
}

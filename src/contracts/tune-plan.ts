import type { ResolvedAction } from './actions.js';

// The changes a tune run plans from the findings.

export interface TunePlan {
  changes: PlannedChange[];
  /**
   * Recommended, but only effective after a reboot: written with --persist, never measured.
   * `reason`: what was read on this machine that calls for it, and why no runtime change does it.
   */
  rebootOnly: Array<{ findingId: string; title: string; action: ResolvedAction; reason: string }>;
  /** Recommended runtime changes tune cannot judge on this target. */
  skipped: Array<{ findingId: string; action: ResolvedAction; reason: string }>;
}

/** One recommended runtime change, as tune will try it. */
export interface PlannedChange {
  findingId: string;
  title: string;
  action: ResolvedAction;
  /** Live value(s) before nvprobe touches it. */
  from: Array<string | null>;
  prerequisite: boolean;
}

import type { Verdict } from './boot-verdict.js';

export const VERIFY_SCHEMA_VERSION = 1 as const;

/** The JSON document of `verify --json`: whether a verification was armed, and its verdict. */
export interface VerifyDocument {
  schemaVersion: typeof VERIFY_SCHEMA_VERSION;
  kind: 'nvprobe.verify';
  armed: boolean;
  verdict: Verdict | null;
}

/** What `status` says about the reboot-time verification. */
export interface PendingStatus {
  /** A `tune --persist` armed a verification that has not run yet. */
  verificationArmed: boolean;
  /** Changes were written that take effect only after a reboot, and no boot has verified them yet. */
  rebootRequired: boolean;
  run: string;
  armedAt: string;
  boots: number;
  maxBoots: number;
  changes: string[];
  /** tune was given --reboot (verify reboots once more after a revert). */
  reboot: boolean;
}

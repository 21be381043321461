import * as fs from 'node:fs';
import type { Root } from '../host/root.js';
import { readRuns } from '../host/run-store.js';
import { checkedStateDir } from '../host/state-dir-check.js';
import { Journal } from '../tune/journal.js';
import { readPending, readVerdict, type Verdict } from '../tune/pending-verify.js';
import { changeStatus } from '../tune/revert.js';

/**
 * What a fleet dashboard needs to know about tuning on this machine, read from the state dir the
 * way `nvprobe status` reads it: the changes in effect (by live state), a verification armed by
 * `tune --persist` and whether its reboot is still owed, the last verification's verdict, and
 * when the latest tune run started.
 */
export interface TuneState {
  changes: { applied: number; drifted: number; unknown: number };
  pending: { verificationArmed: boolean; rebootRequired: boolean } | null;
  lastVerdict: Verdict | null;
  /** createdAt of the newest saved run, seconds since the epoch; null when none is saved. */
  lastRunAt: number | null;
}

/**
 * The state dir (`--state-dir`, else NVPROBE_STATE_DIR, else /var/lib/nvprobe): a named one that
 * does not exist is bad input (exit 2, before measuring); the default missing, or a state dir this
 * user cannot read, means no tuning state: null, and the families are left out.
 */
export function stateDirForMetrics(override: string | undefined): string {
  return checkedStateDir(override, 'collect');
}

export function readTuneState(root: Root, dir: string): TuneState | null {
  try {
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.X_OK);
  } catch {
    return null;
  }
  let journal: Journal;
  try {
    journal = Journal.open(dir, { readOnly: true });
  } catch {
    return null;
  }
  const changes = { applied: 0, drifted: 0, unknown: 0 };
  for (const e of changeStatus(root, journal)) changes[e.state]++;
  const armed = readPending(dir);
  let lastRunAt: number | null = null;
  for (const doc of readRuns(dir)) {
    const at = Date.parse((doc as { createdAt?: unknown })?.createdAt as string);
    if (Number.isFinite(at) && (lastRunAt === null || at / 1000 > lastRunAt)) lastRunAt = at / 1000;
  }
  return {
    changes,
    pending: armed && { verificationArmed: true, rebootRequired: armed.boots === 0 },
    lastVerdict: readVerdict(dir),
    lastRunAt,
  };
}

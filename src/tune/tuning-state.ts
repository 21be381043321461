import * as fs from 'node:fs';
import type { PendingStatus } from '../contracts/verify-document.js';
import type { Root } from '../host/root.js';
import { Journal } from './journal.js';
import { bootedSince, type PendingVerify, readPending, readVerdict } from './pending-verify.js';
import { changeStatus } from './revert.js';
import type { Verdict } from '../contracts/boot-verdict.js';
import type { StatusEntry } from '../contracts/revert-document.js';

/**
 * The tuning state of a machine as its state dir records it: the changes in effect (by live
 * state), a verification armed by `tune --persist` and whether its reboot is still owed, and the
 * last verification's verdict. `status` shows it and the Prometheus metrics count it: one reader,
 * so that both say the same.
 */
export interface TuningState {
  entries: StatusEntry[];
  /** null when no verification is armed. */
  pending: PendingStatus | null;
  lastVerdict: Verdict | null;
}

/**
 * A reboot is owed while no boot has been seen by `verify` and the machine has not booted since
 * arming (boot id, else btime): after the reboot only `verify` is owed, not another reboot.
 */
export function rebootOwed(root: Root, armed: PendingVerify): boolean {
  return armed.boots === 0 && bootedSince(root, armed) !== true;
}

function pendingStatus(root: Root, armed: PendingVerify): PendingStatus {
  return {
    verificationArmed: true,
    rebootRequired: rebootOwed(root, armed),
    run: armed.run,
    armedAt: armed.armedAt,
    boots: armed.boots,
    maxBoots: armed.maxBoots,
    changes: armed.changes,
    reboot: armed.reboot,
  };
}

function stateFrom(root: Root, dir: string, journal: Journal): TuningState {
  const entries = changeStatus(root, journal);
  const armed = readPending(dir);
  return { entries, pending: armed && pendingStatus(root, armed), lastVerdict: readVerdict(dir) };
}

/** As `status` reads it: a journal or record that cannot be read is the user's error to see. */
export function readTuningState(root: Root, dir: string): TuningState {
  return stateFrom(root, dir, Journal.open(dir, { readOnly: true }));
}

/**
 * As the metrics read it: a state dir this user cannot read, or a journal that cannot be opened,
 * is no tuning state (null: the families are left out). A record nvprobe did not write is still
 * refused (exit 2), as by `status`.
 */
export function readTuningStateIfReadable(root: Root, dir: string): TuningState | null {
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
  return stateFrom(root, dir, journal);
}

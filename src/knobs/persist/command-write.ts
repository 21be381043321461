import type { FileWrite } from '../write.js';

/**
 * Run a program (argv, no shell) that changes persistent state nvprobe does not write as a file
 * itself: `grubby` edits every boot entry and the GRUB environment block in its own way.
 *
 * The journal records `touches` (their content, or absence) before running `argv`; revert puts
 * that content back byte for byte.
 */
export interface CommandWrite {
  op: 'command';
  argv: string[];
  /** Guest paths argv may change: journal them before running it. */
  touches: string[];
}

/** What persistence produces: whole-file writes, and commands where a distribution tool owns the files. */
export type PersistWrite = FileWrite | CommandWrite;

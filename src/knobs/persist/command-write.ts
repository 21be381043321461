import type { FileWrite } from '../write.js';

/**
 * Run a program (argv, no shell) that changes persistent state nvprobe does not write as a file
 * itself: `grubby` edits every boot entry and the GRUB environment block in its own way.
 *
 * Proposed extension of knobs/write.ts `Write`: journal `touches` (their content, or absence)
 * before running `argv`; revert runs `undo` in order, or, when a touched file's content is the one
 * argv produced, restores the journaled content directly (byte-exact).
 */
export interface CommandWrite {
  op: 'command';
  argv: string[];
  /** Commands that restore the previous state, run in order (each an argv, no shell). */
  undo: string[][];
  /** Guest paths argv may change: journal them before running it. */
  touches: string[];
}

/** What persistence produces: whole-file writes, and commands where a distribution tool owns the files. */
export type PersistWrite = FileWrite | CommandWrite;

import { jsonSafe, terminalSafe, terminalSafeLine } from '../report/terminal-safe.js';

/**
 * The one way commands print to stdout: human text escaped for the terminal (strings from
 * bundles, devices and rule files may hold control sequences), JSON with the characters
 * JSON.stringify leaves raw escaped too. Write errors (ENOSPC, EIO) are caught in main.ts.
 */
export function printText(text: string): void {
  if (quiet) return;
  process.stdout.write(terminalSafe(text));
}

let quiet = false;

/** --quiet: no text, progress or notes; JSON asked for with --json, and errors, still print. */
export function setQuiet(on: boolean): void {
  quiet = on;
}

export function isQuiet(): boolean {
  return quiet;
}

/** A note for stderr that is not an error (what is about to be written, a caveat): `nvprobe: ...`, silent with --quiet. */
export function printNote(line: string): void {
  if (!quiet) printErrorLine(`nvprobe: ${line}`);
}

export function printJson(doc: unknown): void {
  process.stdout.write(`${jsonSafe(JSON.stringify(doc, null, 2))}\n`);
}

/** One line on stderr (`nvprobe: ...`, `hint: ...`, a confirmation list): controls and newlines inside it made visible. */
export function printErrorLine(line: string): void {
  process.stderr.write(`${terminalSafeLine(line)}\n`);
}

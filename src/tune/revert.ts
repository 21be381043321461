import type { Root } from '../host/root.js';
import { activeChoice } from '../host/sysfs-choice.js';
import { Applier } from './applier.js';
import { writeSubject } from '../knobs/write.js';
import type { Journal, JournalEntry } from './journal.js';

export interface Reverted {
  run: string;
  label: string;
  path: string;
  restored: string | null;
  error?: string;
}

/**
 * Put back what nvprobe changed: the latest run that still has changes (or every run with
 * `all`), newest change first. Entries whose write may never have happened (killed between
 * intent and write) are restored too: writing the old value again is harmless.
 */
export function revertChanges(root: Root, journal: Journal, all: boolean): Reverted[] {
  const outstanding = journal.outstanding();
  if (!outstanding.length) return [];
  const runs = [...new Set(outstanding.map((e) => e.run))];
  const chosen = all ? outstanding : outstanding.filter((e) => e.run === runs.at(-1));
  const out: Reverted[] = [];
  const applier = (run: string) => new Applier(root, journal, run);
  for (const e of [...chosen].reverse()) {
    try {
      applier(e.run).undo(e);
      out.push({ run: e.run, label: e.label, path: writeSubject(e.write), restored: describe(e) });
    } catch (err) {
      out.push({ run: e.run, label: e.label, path: writeSubject(e.write), restored: null, error: (err as NodeJS.ErrnoException).code ?? String(err) });
    }
  }
  for (const run of new Set(chosen.map((e) => e.run))) if (!journal.outstanding(run).length) journal.append({ t: 'end', run, status: 'reverted' });
  return out;
}

function describe(e: JournalEntry): string | null {
  if (e.prev.op === 'attr') return e.prev.value;
  if (e.prev.op === 'command') return `(previous content of ${Object.keys(e.prev.files).join(', ')})`;
  return e.prev.content === null ? '(file removed)' : '(previous file content)';
}

export interface StatusEntry {
  run: string;
  label: string;
  path: string;
  written: string | null;
  live: string | null;
  state: 'applied' | 'drifted' | 'unknown';
}

/** What nvprobe has in effect, and whether the live values still match what it wrote. */
export function changeStatus(root: Root, journal: Journal): StatusEntry[] {
  return journal.outstanding().map((e) => {
    if (e.write.op === 'attr') {
      const raw = root.attr(e.write.path);
      const live = raw === null ? null : (activeChoice(raw) ?? raw);
      return { run: e.run, label: e.label, path: e.write.path, written: e.write.value, live, state: live === null ? 'unknown' : live === e.write.value ? 'applied' : 'drifted' };
    }
    if (e.write.op === 'command') return { run: e.run, label: e.label, path: writeSubject(e.write), written: '(command)', live: null, state: 'unknown' };
    const live = root.text(e.write.path);
    return { run: e.run, label: e.label, path: e.write.path, written: e.write.content === null ? '(removed)' : '(file)', live: live === null ? '(absent)' : '(file)', state: live === e.write.content ? 'applied' : 'drifted' };
  });
}

import { modulePresence } from '../detect/kernel-modules.js';
import type { Root } from '../host/root.js';
import { activeChoice } from '../host/sysfs-choice.js';
import { Applier, restorableValue } from './applier.js';
import { sameValue } from '../knobs/knob.js';
import { writeSubject, type Write } from '../knobs/write.js';
import type { Journal, JournalEntry } from './journal.js';
import { writeAllowed } from '../host/write-allowlist.js';
import type { Reverted, StatusEntry } from '../contracts/revert-document.js';

/**
 * Put back what nvprobe changed: the latest run that still has changes (or every run with
 * `all`), newest change first. Entries whose write may never have happened (killed between
 * intent and write) are restored too: writing the old value again is harmless.
 *
 * A value that is now neither what nvprobe wrote nor what it replaced was changed by someone
 * else since: it is left as is (and recorded as settled, with the value found), never
 * overwritten with an old one; the caller reports it and exits 4.
 */
export function revertChanges(root: Root, journal: Journal, all: boolean): Reverted[] {
  const outstanding = journal.outstanding();
  if (!outstanding.length) return [];
  const runs = [...new Set(outstanding.map((e) => e.run))];
  const chosen = all ? outstanding : outstanding.filter((e) => e.run === runs.at(-1));
  const out: Reverted[] = [];
  const applier = (run: string) => new Applier(root, journal, run);
  for (const e of [...chosen].reverse()) {
    const now = changedSince(root, e);
    if (now !== null) {
      journal.append({ t: 'undone', run: e.run, seq: e.seq, leftAs: now });
      out.push({ run: e.run, label: e.label, path: writeSubject(e.write), restored: null, left: { now, wrote: shown(e.write) } });
      continue;
    }
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

/**
 * One line per thing put back: a path undone several times (trial writes of a grid, a killed run,
 * several runs with --all) ends at the value its oldest entry recorded, which is undone last.
 */
export function restoredPerPath(reverted: Reverted[]): Reverted[] {
  const byPath = new Map<string, Reverted>();
  for (const r of reverted) {
    const seen = byPath.get(r.path);
    // A failure or a value left as is, anywhere on a path, is what the user must see; otherwise the last undo wins.
    if (!seen || !(seen.error || seen.left)) byPath.set(r.path, r);
  }
  return [...byPath.values()];
}

/**
 * The live value when it is neither what nvprobe wrote nor what the write replaced, else null.
 * Commands (grubby) touch files nvprobe does not know the result of: always restored.
 */
function changedSince(root: Root, e: JournalEntry): string | null {
  if (e.write.op === 'attr') {
    const raw = root.attr(e.write.path);
    if (raw === null) return null; // gone (device removed) or unreadable: undo reports that itself
    const live = restorableValue(raw);
    const prev = e.prev.op === 'attr' && e.prev.value !== null ? restorableValue(e.prev.value) : null;
    return sameValue(live, e.write.value) || (prev !== null && sameValue(live, prev)) ? null : live;
  }
  if (e.write.op === 'file') {
    const live = root.text(e.write.path);
    const prev = e.prev.op === 'file' ? e.prev.content : undefined;
    if (live === e.write.content || live === prev) return null;
    return live === null ? '(absent)' : '(different content)';
  }
  return null;
}

function shown(w: Write): string {
  if (w.op === 'attr') return w.value;
  if (w.op === 'file') return w.content === null ? '(absent)' : '(its file)';
  if (w.op === 'module') return w.load ? `(loaded: ${w.params.join(' ')})` : '(unloaded)';
  return '(command)';
}

function describe(e: JournalEntry): string | null {
  // What is written back (`mq-deadline`), not the list it was read as (`none [mq-deadline] kyber`).
  if (e.prev.op === 'attr') return e.prev.value === null ? null : restorableValue(e.prev.value);
  if (e.prev.op === 'command') return `(previous content of ${Object.keys(e.prev.files).join(', ')})`;
  if (e.prev.op === 'module') return e.prev.loaded === false ? '(not loaded)' : '(loaded)';
  return e.prev.content === null ? '(file removed)' : '(previous file content)';
}

/** What nvprobe has in effect, and whether the live values still match what it wrote. */
export function changeStatus(root: Root, journal: Journal): StatusEntry[] {
  return journal.outstanding().map((e) => {
    // The journal names the paths: only those nvprobe may write are read back (never /etc/shadow, never a FIFO).
    if ((e.write.op === 'attr' || e.write.op === 'file') && !writeAllowed(e.write.path)) {
      return { run: e.run, label: e.label, path: e.write.path, written: '(refused)', live: null, state: 'unknown' as const };
    }
    if (e.write.op === 'attr') {
      const raw = root.attr(e.write.path);
      const live = raw === null ? null : (activeChoice(raw) ?? raw);
      return { run: e.run, label: e.label, path: e.write.path, written: e.write.value, live, state: live === null ? 'unknown' : live === e.write.value ? 'applied' : 'drifted' };
    }
    if (e.write.op === 'command') return { run: e.run, label: e.label, path: writeSubject(e.write), written: '(command)', live: null, state: 'unknown' };
    if (e.write.op === 'module') {
      const p = modulePresence(root, e.write.module);
      const live = p.loaded === null ? null : p.loaded ? '(loaded)' : '(not loaded)';
      return {
        run: e.run,
        label: e.label,
        path: writeSubject(e.write),
        written: e.write.load ? '(loaded)' : '(not loaded)',
        live,
        state: live === null ? 'unknown' : (live === '(loaded)') === e.write.load ? 'applied' : 'drifted',
      };
    }
    const live = root.text(e.write.path);
    return {
      run: e.run,
      label: e.label,
      path: e.write.path,
      written: e.write.content === null ? '(removed)' : '(file)',
      live: live === null ? '(absent)' : '(file)',
      state: live === e.write.content ? 'applied' : 'drifted',
    };
  });
}

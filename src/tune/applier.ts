import { NvprobeError } from '../errors.js';
import type { Root } from '../host/root.js';
import { deleteFile, fileMode, writeAttr, writeFileAtomic } from '../host/writer.js';
import type { Previous, Write } from '../knobs/write.js';
import { crashPoint } from './crash-point.js';
import type { Journal, JournalEntry } from './journal.js';

/** A write the kernel (or the filesystem) refused; what this run applied gets reverted. */
export class WriteRefused extends NvprobeError {
  constructor(
    readonly label: string,
    readonly path: string,
    readonly code: string,
  ) {
    super(`${label}: writing ${path} failed (${code})`);
  }
}

/** Performs writes, each journaled first, and their inverses. */
export class Applier {
  constructor(
    private readonly root: Root,
    private readonly journal: Journal,
    readonly run: string,
  ) {}

  /** Record what `write` replaces, make it durable, then write. Returns the journal sequence. */
  apply(write: Write, label: string): number {
    const prev = this.previous(write);
    const seq = this.journal.newSeq();
    this.journal.append({ t: 'intent', run: this.run, seq, label, write, prev });
    try {
      perform(this.root, write);
    } catch (err) {
      // Put back what may have been half-done, then say so.
      tryRestore(this.root, write, prev);
      this.journal.append({ t: 'undone', run: this.run, seq });
      throw new WriteRefused(label, write.path, (err as NodeJS.ErrnoException).code ?? String(err));
    }
    crashPoint('applied');
    this.journal.append({ t: 'done', run: this.run, seq });
    return seq;
  }

  /** Put back the value an entry replaced, and record that it is undone. */
  undo(entry: Pick<JournalEntry, 'run' | 'seq' | 'write' | 'prev'>): void {
    restore(this.root, entry.write, entry.prev);
    crashPoint('restored');
    this.journal.append({ t: 'undone', run: entry.run, seq: entry.seq });
  }

  private previous(write: Write): Previous {
    if (write.op === 'attr') return { op: 'attr', value: this.root.text(write.path)?.replace(/\n$/, '') ?? null };
    return { op: 'file', content: this.root.text(write.path), mode: fileMode(this.root, write.path) };
  }
}

function perform(root: Root, w: Write): void {
  if (w.op === 'attr') writeAttr(root, w.path, w.value);
  else if (w.content === null) deleteFile(root, w.path);
  else writeFileAtomic(root, w.path, w.content, w.mode);
}

/** The inverse write: the old attribute value, or the old file (absent → deleted). */
export function restore(root: Root, w: Write, prev: Previous): void {
  if (w.op === 'attr') {
    if (prev.op !== 'attr' || prev.value === null) return; // nothing readable to put back
    writeAttr(root, w.path, restorableValue(prev.value));
  } else if (prev.op === 'file') {
    if (prev.content === null) deleteFile(root, w.path);
    else writeFileAtomic(root, w.path, prev.content, prev.mode ?? 0o644);
  }
}

function tryRestore(root: Root, w: Write, prev: Previous): void {
  try {
    restore(root, w, prev);
  } catch {
    // The original write failed; the value most likely never changed.
  }
}

/** A read value in the form the attribute accepts back: `[mq-deadline] none` → `mq-deadline`. */
export function restorableValue(read: string): string {
  const active = /\[([^\]]+)\]/.exec(read);
  return active ? active[1]! : read.trim();
}

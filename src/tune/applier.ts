import { NvprobeError } from '../errors.js';
import type { Root } from '../host/root.js';
import { runCommand } from '../host/commands.js';
import { activeChoice } from '../host/sysfs-choice.js';
import { deleteFile, fileMode, fileOwner, writeAttr, writeFileAtomic } from '../host/writer.js';
import { modulePresence } from '../detect/kernel-modules.js';
import { moduleArgv, writeSubject, type Previous, type Write } from '../knobs/write.js';
import { crashPoint } from './crash-point.js';
import { isRegenerateCommand } from '../knobs/persist/regenerate.js';
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
  /** What regeneration commands said when they failed (the file change itself stands). */
  readonly notes: string[] = [];

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
      this.regenerate(write);
    } catch (err) {
      // Put back what may have been half-done, then say so.
      tryRestore(this.root, write, prev);
      this.journal.append({ t: 'undone', run: this.run, seq });
      throw new WriteRefused(label, writeSubject(write), (err as NodeJS.ErrnoException).code ?? String(err));
    }
    crashPoint('applied');
    this.journal.append({ t: 'done', run: this.run, seq });
    return seq;
  }

  /** Put back the value an entry replaced, and record that it is undone. */
  undo(entry: Pick<JournalEntry, 'run' | 'seq' | 'write' | 'prev'>): void {
    restore(this.root, entry.write, entry.prev);
    this.regenerate(entry.write, 'journal');
    crashPoint('restored');
    this.journal.append({ t: 'undone', run: entry.run, seq: entry.seq });
  }

  private previous(write: Write): Previous {
    if (write.op === 'module') return { op: 'module', loaded: modulePresence(this.root, write.module).loaded, governor: this.root.attr(GOVERNOR) };
    if (write.op === 'attr') return { op: 'attr', value: this.root.text(write.path)?.replace(/\n$/, '') ?? null };
    if (write.op === 'command') {
      return { op: 'command', files: Object.fromEntries(write.touches.map((p) => [p, { content: this.root.text(p), mode: fileMode(this.root, p), owner: fileOwner(this.root, p) }])) };
    }
    return { op: 'file', content: this.root.text(write.path), mode: fileMode(this.root, write.path), owner: fileOwner(this.root, write.path) };
  }

  /**
   * Bootloader/initramfs regeneration after a file changed: only on the live system. A command
   * read back from the journal runs only if it is one nvprobe itself would run on this system
   * (the journal is a file; what root executes comes from the code).
   */
  private regenerate(write: Write, from: 'plan' | 'journal' = 'plan'): void {
    if (write.op !== 'file' || !write.regenerate || !this.root.live) return;
    const argv = write.regenerate;
    if (from === 'journal' && !isRegenerateCommand(this.root, argv)) {
      this.notes.push(`the journal names ${JSON.stringify(argv)} to regenerate after ${write.path}, not a command nvprobe runs here: not run; regenerate the boot configuration yourself`);
      return;
    }
    const r = runCommand(argv);
    if (!r.ok) this.notes.push(`${argv.join(' ')} failed (${r.output}); run it by hand`);
  }
}

const GOVERNOR = '/sys/devices/system/cpu/cpuidle/current_governor';

function perform(root: Root, w: Write): void {
  if (w.op === 'module') {
    // A captured tree has no kernel to load into: nothing happens there.
    if (root.live) {
      const r = runCommand(moduleArgv(w));
      if (!r.ok) throw Object.assign(new Error(r.output), { code: `${moduleArgv(w).join(' ')} failed: ${r.output}` });
    }
    return;
  }
  if (w.op === 'command') {
    // A captured tree has no grubby to run; on the live system its failure is a refused write.
    if (root.live) {
      const r = runCommand(w.argv);
      if (!r.ok) throw Object.assign(new Error(r.output), { code: `${w.argv[0]} failed: ${r.output}` });
    }
    return;
  }
  if (w.op === 'attr') writeAttr(root, w.path, w.value);
  else if (w.content === null) deleteFile(root, w.path);
  else {
    // An existing file keeps its owner and mode: only its text is nvprobe's to change.
    const mode = fileMode(root, w.path);
    writeFileAtomic(root, w.path, w.content, mode ?? w.mode, fileOwner(root, w.path));
  }
}

/** The inverse write: the old attribute value, or the old file (absent → deleted). */
export function restore(root: Root, w: Write, prev: Previous): void {
  if (w.op === 'module') {
    if (prev.op !== 'module' || !root.live) return;
    // Unload only what this write loaded (or load back what it unloaded).
    if (prev.loaded === false && w.load) perform(root, { ...w, load: false });
    else if (prev.loaded === true && !w.load) perform(root, { ...w, load: true, params: [] });
    const now = root.attr(GOVERNOR);
    if (prev.governor !== null && now !== null && now !== prev.governor) writeAttr(root, GOVERNOR, prev.governor);
    return;
  }
  if (w.op === 'command') {
    // Byte-exact: put back every file the command may have touched.
    if (prev.op !== 'command') return;
    for (const [p, f] of Object.entries(prev.files)) {
      if (f.content === null) deleteFile(root, p);
      else writeFileAtomic(root, p, f.content, f.mode ?? 0o644, f.owner);
    }
    return;
  }
  if (w.op === 'attr') {
    if (prev.op !== 'attr' || prev.value === null) return; // nothing readable to put back
    writeAttr(root, w.path, restorableValue(prev.value));
  } else if (prev.op === 'file') {
    if (prev.content === null) deleteFile(root, w.path);
    else writeFileAtomic(root, w.path, prev.content, prev.mode ?? 0o644, prev.owner);
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
  return activeChoice(read) ?? read.trim();
}

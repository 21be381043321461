import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExitCode, NvprobeError, usageError } from '../errors.js';
import { writeAllSync } from '../host/write-all.js';
import { ensureDir } from '../host/state-dir.js';
import type { Previous, Write } from '../knobs/write.js';
import { crashPoint } from './crash-point.js';

export const JOURNAL_VERSION = 1;

/**
 * Write-ahead journal. Each record is one JSON line with a checksum, appended and fsynced:
 * an `intent` (the write and the value it replaces) is durable BEFORE the write happens, `done`
 * after it, `undone` after a revert. Whatever happens in between — an error, Ctrl-C, kill -9, a
 * power cut — `revert` knows every value to put back.
 */
export type JournalRecord =
  | { t: 'run'; run: string; at: string; command: string; nvprobeVersion: string }
  | { t: 'intent'; run: string; seq: number; label: string; write: Write; prev: Previous }
  | { t: 'done'; run: string; seq: number }
  | { t: 'undone'; run: string; seq: number /** Not restored: the live value someone else set since (revert leaves it). */; leftAs?: string | null }
  | { t: 'end'; run: string; status: string };

export interface JournalEntry {
  run: string;
  seq: number;
  label: string;
  write: Write;
  prev: Previous;
  done: boolean;
  undone: boolean;
}

function checksum(body: string): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 16);
}

export function encodeRecord(r: JournalRecord): string {
  const body = JSON.stringify({ v: JOURNAL_VERSION, ...r });
  return `${JSON.stringify({ v: JOURNAL_VERSION, ...r, crc: checksum(body) })}\n`;
}

export class Journal {
  readonly file: string;
  private records: JournalRecord[] = [];
  private nextSeq = 1;

  private constructor(file: string) {
    this.file = file;
  }

  /**
   * Open (and validate) the journal in `dir`; refuses a corrupt or newer one rather than guess.
   * The file is opened O_NONBLOCK|O_NOFOLLOW and read only when fstat says it is a regular file
   * of sane size: a FIFO must not hang status or revert, and a symlink planted in a state dir must
   * not make root read (or truncate) the file it points to. `readOnly` (status): a torn last
   * record is ignored, not cut off: looking changes nothing.
   */
  static open(dir: string, opts: { readOnly?: boolean } = {}): Journal {
    const j = new Journal(path.join(dir, 'journal.jsonl'));
    const text = readJournal(j.file);
    if (text === null) return j;
    const lines = text.split('\n');
    // A last line without its newline was being appended when the process died: that record
    // never became durable, so the write it announced never started. Drop it.
    const complete = lines.slice(0, -1); // after the last newline: '' or a torn record
    for (const [i, line] of complete.entries()) j.records.push(parseLine(j.file, line, i + 1));
    if (!opts.readOnly && !text.endsWith('\n') && lines.at(-1)) truncateJournal(j.file, Buffer.byteLength(complete.map((l) => `${l}\n`).join('')));
    for (const r of j.records) if (r.t === 'intent') j.nextSeq = Math.max(j.nextSeq, r.seq + 1);
    return j;
  }

  append(r: JournalRecord): void {
    ensureDir(path.dirname(this.file));
    const fd = openJournal(this.file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT);
    try {
      const before = fs.fstatSync(fd).size;
      try {
        writeAllSync(fd, encodeRecord(r));
        fs.fsyncSync(fd);
      } catch (err) {
        // A record is durable whole or not at all: cut a torn one off, so the journal still says
        // exactly what is in effect; the caller makes no change it could not announce.
        try {
          fs.ftruncateSync(fd, before);
          fs.fsyncSync(fd);
        } catch {
          // the next open drops a torn last line anyway
        }
        const code = (err as NodeJS.ErrnoException).code ?? String(err);
        throw new NvprobeError(`the journal ${this.file} could not record ${describeRecord(r)}: ${code}`, {
          exitCode: ExitCode.failure,
          hint: r.t === 'intent' ? 'nothing was changed for it; free space on the state filesystem and run again' : 'free space on the state filesystem, then run nvprobe status',
          cause: err,
        });
      }
    } finally {
      fs.closeSync(fd);
    }
    this.records.push(r);
    crashPoint(`journal:${r.t}`);
  }

  newSeq(): number {
    return this.nextSeq++;
  }

  entries(): JournalEntry[] {
    const byKey = new Map<string, JournalEntry>();
    const key = (run: string, seq: number) => `${run}#${seq}`;
    for (const r of this.records) {
      if (r.t === 'intent') byKey.set(key(r.run, r.seq), { run: r.run, seq: r.seq, label: r.label, write: r.write, prev: r.prev, done: false, undone: false });
      else if (r.t === 'done' || r.t === 'undone') {
        const e = byKey.get(key(r.run, r.seq));
        if (e) e[r.t] = true;
      }
    }
    return [...byKey.values()];
  }

  /** Changes still in effect (or possibly in effect: an intent without done may have been written). */
  outstanding(run?: string): JournalEntry[] {
    return this.entries().filter((e) => !e.undone && (run === undefined || e.run === run));
  }

  runs(): string[] {
    return this.records.filter((r): r is Extract<JournalRecord, { t: 'run' }> => r.t === 'run').map((r) => r.run);
  }

  /** Runs that never wrote their `end` record (killed, power cut) and may still have changes in effect. */
  unfinishedRuns(): Array<{ run: string; at: string | null; outstanding: number }> {
    const ended = new Set(this.records.filter((r) => r.t === 'end').map((r) => r.run));
    const started = new Map(this.records.filter((r): r is Extract<JournalRecord, { t: 'run' }> => r.t === 'run').map((r) => [r.run, r.at]));
    const runs = [...new Set(this.outstanding().map((e) => e.run))].filter((run) => !ended.has(run));
    return runs.map((run) => ({ run, at: started.get(run) ?? null, outstanding: this.outstanding(run).length }));
  }

  /** With nothing outstanding the journal has done its job: move it next to the saved runs. */
  archiveIfSettled(runsDir: string): boolean {
    if (this.outstanding().length || !fs.existsSync(this.file)) return false;
    ensureDir(runsDir);
    fs.renameSync(this.file, path.join(runsDir, `journal-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`));
    this.records = [];
    return true;
  }
}

/** A journal is a few KiB: one far larger is not one nvprobe wrote. */
export const MAX_JOURNAL_BYTES = 64 * 1024 * 1024;

/** Open the journal without following a link or blocking on a FIFO; refuse anything but a regular file. */
function openJournal(file: string, flags: number): number {
  let fd: number;
  try {
    fd = fs.openSync(file, flags | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw err;
    if (code === 'ELOOP') throw usageError(`the journal ${file} is a symbolic link; nvprobe never follows a link there`, `remove ${file} (or move it away) after checking where it points`);
    throw new NvprobeError(`cannot open the journal ${file}: ${code ?? String(err)}`, { cause: err });
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw usageError(`the journal ${file} is not a regular file`, `remove ${file}; nvprobe writes it as a regular file`);
    if (st.size > MAX_JOURNAL_BYTES) throw usageError(`the journal ${file} is larger than ${MAX_JOURNAL_BYTES} bytes; it is not one nvprobe wrote`, `move ${file} away after checking it`);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  return fd;
}

/** The journal's text, or null when there is none. */
function readJournal(file: string): string | null {
  let fd: number;
  try {
    fd = openJournal(file, fs.constants.O_RDONLY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (err instanceof NvprobeError) throw err;
    throw new NvprobeError(`cannot read the journal ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  try {
    return fs.readFileSync(fd, 'utf8');
  } catch (err) {
    throw new NvprobeError(`cannot read the journal ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  } finally {
    fs.closeSync(fd);
  }
}

/** Cut a torn last record off, through a descriptor checked like the read one (never a link's target). */
function truncateJournal(file: string, length: number): void {
  const fd = openJournal(file, fs.constants.O_WRONLY);
  try {
    fs.ftruncateSync(fd, length);
  } finally {
    fs.closeSync(fd);
  }
}

function parseLine(file: string, line: string, n: number): JournalRecord {
  const corrupt = (why: string) =>
    new NvprobeError(`the journal ${file} is corrupt at line ${n} (${why}); nvprobe will not guess what to restore`, {
      hint: 'the old values are recorded in it as JSON; restore them by hand, then move the file away',
    });
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw corrupt('not JSON');
  }
  if (typeof obj.v === 'number' && obj.v > JOURNAL_VERSION) {
    throw new NvprobeError(`the journal ${file} was written by a newer nvprobe (format ${obj.v}, this one reads ${JOURNAL_VERSION})`, {
      hint: 'run revert with the nvprobe version that made these changes',
    });
  }
  const { crc, ...rest } = obj;
  if (obj.v !== JOURNAL_VERSION || typeof crc !== 'string' || checksum(JSON.stringify(rest)) !== crc) throw corrupt('checksum mismatch');
  if (!['run', 'intent', 'done', 'undone', 'end'].includes(String(obj.t))) throw corrupt(`unknown record type ${String(obj.t)}`);
  const { v: _v, ...record } = rest;
  return record as JournalRecord;
}

/** What a record announces, for the line that says it could not be written. */
function describeRecord(r: JournalRecord): string {
  if (r.t === 'intent') return `the change ${r.label}`;
  if (r.t === 'run') return `the start of run ${r.run}`;
  if (r.t === 'end') return `the end of run ${r.run}`;
  return `that change ${r.seq} of run ${r.run} was ${r.t}`;
}

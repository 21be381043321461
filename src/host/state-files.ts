import * as fs from 'node:fs';
import * as path from 'node:path';
import { listRuns } from './run-store.js';
import { openRegularFile } from './safe-read.js';

export interface StateFile {
  /** Name relative to the state dir: runs/<run>.json, journal.jsonl, journal-*.jsonl. */
  name: string;
  size: number;
  read(maxBytes: number): { data: Buffer; truncated: boolean };
}

/** nvprobe's saved runs and journals (newest runs last), for the bundle. Missing dir: none. */
export function listStateFiles(stateDir: string): StateFile[] {
  const files = listRuns(stateDir).map((f) => path.relative(stateDir, f));
  let top: string[] = [];
  try {
    top = fs
      .readdirSync(stateDir)
      .filter((n) => /^journal.*\.jsonl$/.test(n))
      .sort();
  } catch {
    top = [];
  }
  let archived: string[] = [];
  try {
    archived = fs
      .readdirSync(path.join(stateDir, 'runs'))
      .filter((n) => n.endsWith('.jsonl'))
      .sort()
      .map((n) => `runs/${n}`);
  } catch {
    archived = [];
  }
  return [...files, ...archived, ...top].flatMap((name) => {
    const full = path.join(stateDir, name);
    const st = fs.lstatSync(full, { throwIfNoEntry: false });
    if (!st?.isFile()) return [];
    return [{ name, size: st.size, read: (max: number) => readHead(full, max) }];
  });
}

function readHead(file: string, maxBytes: number): { data: Buffer; truncated: boolean } {
  const { fd, stats } = openRegularFile(file); // listed as a regular file; refuse one swapped for a FIFO since
  try {
    const size = stats.size;
    const data = Buffer.alloc(Math.min(size, maxBytes));
    const n = fs.readSync(fd, data, 0, data.length, 0);
    return { data: data.subarray(0, n), truncated: size > maxBytes };
  } finally {
    fs.closeSync(fd);
  }
}

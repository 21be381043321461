import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileSafely } from './safe-create.js';
import { ensureDir } from './state-dir.js';

/** Saved tune runs (JSON) under <state>/runs/, written atomically, readable by report and bundle. */
export function saveRun(stateDir: string, run: string, doc: unknown): string {
  const dir = path.join(stateDir, 'runs');
  ensureDir(dir);
  const file = path.join(dir, `${run}.json`);
  writeFileSafely(file, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600, replace: true });
  return file;
}

export function listRuns(stateDir: string): string[] {
  try {
    return fs
      .readdirSync(path.join(stateDir, 'runs'))
      .filter((n) => n.endsWith('.json'))
      .sort()
      .map((n) => path.join(stateDir, 'runs', n));
  } catch {
    return [];
  }
}

/** The saved runs' documents, oldest first; a file that cannot be read or parsed is left out. */
export function readRuns(stateDir: string): unknown[] {
  return listRuns(stateDir).flatMap((file) => {
    try {
      return [JSON.parse(readRunFile(file)) as unknown];
    } catch {
      return [];
    }
  });
}

/** Largest saved run read back (report refuses larger run documents too). */
const MAX_RUN_BYTES = 32 << 20;

/**
 * A saved run's text: opened O_NONBLOCK|O_NOFOLLOW and read only as a regular file within the
 * limit. A FIFO planted in runs/ hung check and collect; a link there must not lead root to read
 * whatever it points at. Throws (the caller leaves the file out).
 */
function readRunFile(file: string): string {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > MAX_RUN_BYTES) throw new Error(`${file}: not a regular file within ${MAX_RUN_BYTES} bytes`);
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

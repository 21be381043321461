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
      return [JSON.parse(fs.readFileSync(file, 'utf8')) as unknown];
    } catch {
      return [];
    }
  });
}

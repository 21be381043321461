// A copied fixture tree that persistence plans are applied to the way the engine would apply
// them: a FileWrite replaces or deletes one file; a CommandWrite is recorded, not run.
import { afterEach } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Root } from '../../src/host/root.js';
import type { PersistWrite } from '../../src/knobs/write.js';
import { copyFixture, makeTemp, removeTemp } from './fixtures.js';

export interface PersistTree {
  dir: string;
  /** A fresh Root on the tree (as a new nvprobe run would open it). */
  root(): Root;
  /** Perform the writes; returns the argv of every command met. */
  apply(writes: PersistWrite[]): string[][];
  /** Every regular file under the tree: guest path → content. */
  files(): Record<string, string>;
  read(guestPath: string): string | null;
  remove(): void;
}

export function persistTree(scenario: string | null): PersistTree {
  const dir = scenario === null ? makeTemp() : copyFixture(scenario);
  return {
    dir,
    root: () => new Root(dir),
    apply(writes) {
      const commands: string[][] = [];
      for (const w of writes) {
        if (w.op === 'command') {
          commands.push(w.argv);
          continue;
        }
        const host = join(dir, w.path);
        if (w.content === null) rmSync(host);
        else {
          mkdirSync(dirname(host), { recursive: true });
          writeFileSync(host, w.content, { mode: w.mode ?? 0o644 });
        }
      }
      return commands;
    },
    files: () => listFiles(dir),
    read(guestPath) {
      try {
        return readFileSync(join(dir, guestPath), 'utf8');
      } catch {
        return null;
      }
    },
    remove: () => removeTemp(dir),
  };
}

function listFiles(top: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out[`/${relative(top, p)}`] = readFileSync(p, 'utf8');
    }
  };
  walk(top);
  return out;
}

/** Write or overwrite guest files in the tree (exact content, no newline added). */
export function putFiles(dir: string, files: Record<string, string>): void {
  for (const [guest, content] of Object.entries(files)) {
    const host = join(dir, guest);
    mkdirSync(dirname(host), { recursive: true });
    writeFileSync(host, content);
  }
}

export function deleteFiles(dir: string, paths: string[]): void {
  for (const p of paths) rmSync(join(dir, p), { recursive: true, force: true });
}

/** A `tree(scenario)` for a test file: every tree it hands out is removed after each test. */
export function treesRemovedAfterEach(): (scenario: string | null) => PersistTree {
  const trees: PersistTree[] = [];
  afterEach(() => {
    for (const t of trees.splice(0)) t.remove();
  });
  return (scenario) => {
    const t = persistTree(scenario);
    trees.push(t);
    return t;
  };
}

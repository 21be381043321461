// A world-readable copy of the built CLI (bin, dist, rules, package.json and the production
// dependencies) in a fresh temp dir under /tmp, for running nvprobe as a user who cannot traverse
// the checkout (a private clone). Made once per run by test/global-setup.ts; no vitest import
// here, it runs in vitest's main process.
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Packages `npm ci --omit=dev` would install: dependencies and present optional ones, transitively. */
function productionDeps(repo: string): string[] {
  const seen = new Set<string>();
  const queue = [join(repo, 'package.json')];
  while (queue.length > 0) {
    const pkg = JSON.parse(readFileSync(queue.shift()!, 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      const manifest = join(repo, 'node_modules', name, 'package.json');
      // Not hoisted: nested under its dependent, copied with it. Absent optional: other platform.
      if (seen.has(name) || !existsSync(manifest)) continue;
      seen.add(name);
      queue.push(manifest);
    }
  }
  return [...seen];
}

/** Directories 755, files readable by all (executable by all where the owner may execute). */
function openToAll(path: string): void {
  const st = statSync(path);
  if (st.isDirectory()) {
    chmodSync(path, 0o755);
    for (const e of readdirSync(path)) openToAll(join(path, e));
  } else {
    chmodSync(path, st.mode & 0o100 ? 0o755 : 0o644);
  }
}

/** Copy the built CLI of `repo` into a fresh world-readable dir under /tmp; returns the dir. */
export function copyCliForAll(repo: string): string {
  const dir = mkdtempSync('/tmp/nvprobe-cli-');
  for (const p of ['bin', 'dist', 'rules', 'package.json']) cpSync(join(repo, p), join(dir, p), { recursive: true });
  for (const name of productionDeps(repo)) cpSync(join(repo, 'node_modules', name), join(dir, 'node_modules', name), { recursive: true });
  openToAll(dir);
  return dir;
}

export function removeCliCopy(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

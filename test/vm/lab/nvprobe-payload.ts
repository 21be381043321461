import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';

/** What of the repository makes up the installed tool (package.json "files" plus the manifest). */
const PACKAGE_ENTRIES = ['bin', 'dist', 'rules', 'package.json'];

/**
 * Copy nvprobe as a user would have it installed into `dest`: the built package and its
 * production node_modules. Production packages are those package-lock.json does not mark
 * `dev`; optional ones absent on disk (other platforms' ffi-rs binaries) are skipped.
 */
export async function copyNvprobePackage(repoRoot: string, dest: string): Promise<void> {
  if (!existsSync(join(repoRoot, 'dist'))) throw new Error(`${join(repoRoot, 'dist')} is missing: run \`npm run build\` first`);
  mkdirSync(dest, { recursive: true });
  for (const entry of PACKAGE_ENTRIES) {
    const src = join(repoRoot, entry);
    if (existsSync(src)) await cp(src, join(dest, entry), { recursive: true });
  }
  for (const dir of productionModuleDirs(repoRoot)) {
    const src = join(repoRoot, dir);
    // Nested node_modules are entries of their own in the lock file, copied (or not) on their own.
    await cp(src, join(dest, dir), { recursive: true, filter: (p) => p === src || !p.slice(src.length).includes('/node_modules') });
  }
}

/** Repo-relative node_modules/... directories of the packages production needs and this machine has. */
export function productionModuleDirs(repoRoot: string): string[] {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; optional?: boolean; link?: boolean }>;
  };
  const dirs: string[] = [];
  for (const [key, meta] of Object.entries(lock.packages)) {
    if (!key.startsWith('node_modules/') || meta.dev || meta.link) continue;
    if (existsSync(join(repoRoot, key))) dirs.push(key);
    else if (!meta.optional) throw new Error(`${key} is a production dependency but is not installed: run \`npm ci\``);
  }
  return dirs;
}

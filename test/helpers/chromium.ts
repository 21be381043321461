import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, runCommand } from './cli.js';

/** Where tests leave screenshots for a person to look at (git-ignored). */
export const ARTIFACTS = join(REPO, 'test/.artifacts');

/** chromium on PATH, or null. */
export function findChromium(): string | null {
  for (const name of ['chromium', 'chromium-browser']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() && existsSync(r.stdout.trim())) return r.stdout.trim();
  }
  return null;
}

/**
 * chromium, or skip the test saying how to install it; under CI (CI=true) a missing chromium
 * fails instead, so that the page is always rendered there.
 */
export function chromiumOrSkip(ctx: { skip(note?: string): never }): string {
  const chromium = findChromium();
  if (chromium !== null) return chromium;
  if (process.env.CI) throw new Error('chromium is not installed: test/system-deps.sh installs it (apt-get install chromium)');
  return ctx.skip('chromium is not installed (test/system-deps.sh installs it as root: apt-get install chromium)');
}

/**
 * Headless chromium with a throwaway profile, for `fn` to run with (`--dump-dom`, `--screenshot`);
 * the profile is removed afterwards.
 */
export async function withHeadlessChromium<T>(chromium: string, fn: (run: (args: string[]) => ReturnType<typeof runCommand>) => Promise<T>): Promise<T> {
  const profile = mkdtempSync(join(tmpdir(), 'nvprobe-chromium-'));
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`];
  try {
    return await fn((args) => runCommand(chromium, [...flags, ...args], { timeout: 60_000 }));
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

// Once per `vitest run`:
// - NVPROBE_STATE_DIR, inherited by every test and every nvprobe they run: a fresh dir on the root
//   filesystem, so that nothing in the suite (a probe's scratch file, a tune without --state-dir)
//   touches this machine's real /var/lib/nvprobe;
// - the world-readable copy of the built CLI that the tests running nvprobe as an unprivileged
//   user execute (test/helpers/unprivileged.ts).
// Both are removed when the run ends.
import { mkdtempSync, rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { REPO } from './helpers/cli.js';
import { copyCliForAll, removeCliCopy } from './helpers/cli-copy.js';

export default function setup(project: TestProject): () => void {
  const state = mkdtempSync('/var/tmp/nvprobe-state-');
  process.env.NVPROBE_STATE_DIR = state;
  let dir = '';
  // Only root can switch to another user; without root those tests skip and need no copy.
  if (process.getuid?.() === 0) dir = copyCliForAll(REPO);
  project.provide('unprivilegedNvprobe', dir ? `${dir}/bin/nvprobe` : '');
  return () => {
    if (dir) removeCliCopy(dir);
    rmSync(state, { recursive: true, force: true });
  };
}

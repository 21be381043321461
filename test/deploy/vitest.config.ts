import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Debian guests under TCG on a 2-vCPU machine: one file at a time by default (each boots its own
// guests; test/deploy/run.sh, i.e. npm run test:deploy, runs two at a time, then verdicts alone),
// the image built once by globalSetup; the lab bounds every boot and command itself.
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/deploy/**/*.test.ts'],
    exclude: ['node_modules/**', 'test/deploy/.cache/**'],
    fileParallelism: false,
    globalSetup: ['test/deploy/global-setup.ts'],
    setupFiles: ['test/setup/blocked-loop.ts'],
    testTimeout: 900_000,
    hookTimeout: 900_000,
  },
});

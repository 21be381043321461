import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests do real I/O and touch global settings of this machine (restored in finally):
// run files one at a time so they never measure each other.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/vm/**', 'test/deploy/**', 'node_modules/**'],
    fileParallelism: false,
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup/blocked-loop.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

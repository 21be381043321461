import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Each test file boots real guests under TCG (seconds each, several per file) and the machine has
// few cores: one file at a time, generous timeouts. The lab bounds every boot and command itself.
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/vm/**/*.test.ts'],
    exclude: ['node_modules/**', 'test/vm/.cache/**'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});

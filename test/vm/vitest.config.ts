import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Each guest boots under TCG (seconds) and the machine has few cores: one file at a time,
// generous timeouts; the lab bounds every boot and command itself. No isolation between files:
// they share one process, hence one initramfs build and the guests of lab/shared-guests.ts.
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/vm/**/*.test.ts'],
    exclude: ['node_modules/**', 'test/vm/.cache/**'],
    fileParallelism: false,
    setupFiles: ['test/setup/blocked-loop.ts'],
    isolate: false,
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});

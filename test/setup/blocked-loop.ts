// Guards the test worker's event loop. A synchronous stretch (spawnSync, a long busy loop) keeps the
// worker from answering vitest's RPC: past 60 s the run fails with `Timeout calling "onTaskUpdate"`
// although every test passed, and testTimeout cannot stop a synchronous call. Each test (with the
// hooks around it) may block for at most BLOCK_LIMIT_MS at a stretch; a longer stretch fails it.
// A 10 ms interval timer stamps the time; a stretch is the gap between stamps (or since the last
// stamp, for a block that has just ended). Node's monitorEventLoopDelay misses the stretch that
// ends a test (it counts it only at its next sample), so it is not used.
// NVPROBE_TEST_BLOCK_LOG=FILE appends one JSON line per test ({file, test, maxBlockMs}) to FILE.
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

/** Well inside the 60 s RPC timeout, even on a machine that runs another CPU-heavy job. */
export const BLOCK_LIMIT_MS = 10_000;

let lastStamp = performance.now();
let longest = 0;
setInterval(() => {
  const now = performance.now();
  longest = Math.max(longest, now - lastStamp);
  lastStamp = now;
}, 10).unref();

function takeLongestStretch(): number {
  const now = performance.now();
  const ms = Math.max(longest, now - lastStamp);
  longest = 0;
  lastStamp = now;
  return ms;
}

function check(where: string): void {
  const ms = takeLongestStretch();
  const log = process.env.NVPROBE_TEST_BLOCK_LOG;
  if (log) appendFileSync(log, `${JSON.stringify({ file: expect.getState().testPath ?? '?', test: where, maxBlockMs: Math.round(ms) })}\n`);
  if (ms > BLOCK_LIMIT_MS) {
    throw new Error(`${where} blocked the test worker's event loop for ${Math.round(ms)} ms at a stretch (limit ${BLOCK_LIMIT_MS} ms): run child processes with spawn, awaited, not spawnSync`);
  }
}

beforeAll(() => {
  takeLongestStretch();
});
afterEach((ctx) => check(ctx.task.name));
afterAll(() => check('(file hooks)'));

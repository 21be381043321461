import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NVPROBE, runCli, runCommand } from '../helpers/cli.js';
import { diskTempDir } from '../helpers/files.js';
import { queueAttrs, restoreQueueAttrs, retunableLoop } from '../helpers/loop-target.js';

// Power-cut simulation: NVPROBE_TEST_CRASH_AT=N makes tune SIGKILL itself at its N-th journal
// step (after each record is fsynced, after each write, after each restore). Whatever N, a
// following `nvprobe revert --all` must bring every original value back.
let tmp: ReturnType<typeof diskTempDir>;
let target: ReturnType<typeof retunableLoop>;
beforeAll(() => {
  tmp = diskTempDir('nvprobe-crash-');
  target = retunableLoop(tmp.dir);
});
afterAll(() => {
  target.cleanUp();
  tmp.remove();
});

describe('kill -9 at every journal step, then revert', () => {
  it('restores every original value after each crash point', async () => {
    const crashed: number[] = [];
    try {
      for (let n = 1; n <= 40; n++) {
        const state = join(tmp.dir, `state-${n}`);
        const args = target.tuneArgs(state);
        const r = await runCommand(NVPROBE, args, { env: { ...process.env, NVPROBE_TEST_CRASH_AT: String(n) }, timeout: 60_000 });
        if (r.signal !== 'SIGKILL') {
          // Past the last crash point the run completes normally.
          expect(r.code, r.stderr).toBe(0);
          expect((await runCli(['revert', '--all', '--state-dir', state])).code).toBe(0);
          expect(queueAttrs(target.loop.name)).toEqual(target.original);
          break;
        }
        crashed.push(n);
        // The lock of the killed process is stale; revert takes it over.
        const rv = await runCli(['revert', '--all', '--state-dir', state]);
        expect(rv.code, `crash point ${n}: ${rv.stderr}`).toBe(0);
        expect(queueAttrs(target.loop.name), `crash point ${n}`).toEqual(target.original);
        expect(JSON.parse((await runCli(['status', '--state-dir', state, '--json'])).stdout).entries, `crash point ${n}`).toEqual([]);
      }
    } finally {
      restoreQueueAttrs(target.loop.name, target.original);
    }
    expect(crashed.length).toBeGreaterThanOrEqual(10);
    // Up to 40 tune runs, each followed by revert and status: about a minute on an idle machine.
  }, 300_000);
});

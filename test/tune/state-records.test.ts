// pending-verify.json and last-verify.json read as strangers' files: a FIFO, a link, a huge or
// deeply nested file, or a record with impossible values is one line and exit 2, never a hang,
// an internal error or a verdict computed from nonsense; nothing is changed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAST_VERDICT, PENDING_VERIFY, pendingRecord } from '../../src/tune/pending-verify.js';
import { runCli } from '../helpers/cli.js';
import { diskTempDir } from '../helpers/files.js';

let tmp: ReturnType<typeof diskTempDir>;
beforeAll(() => {
  tmp = diskTempDir('nvprobe-records-');
});
afterAll(() => tmp.remove());

const good = () =>
  pendingRecord({
    run: 'run-1',
    rebootOnly: [],
    expects: [],
    reboot: false,
    settings: { target: null, engine: 'psync2', blockSize: 4096, spanBytes: 1 << 20, roundMs: 80 },
    baselineRoundsP50Us: [50, 51, 52],
    kernelClock: null,
  });

let n = 0;
function stateWith(name: string, put: (file: string) => void): string {
  const dir = join(tmp.dir, `state-${n++}`);
  mkdirSync(dir, { mode: 0o700 });
  put(join(dir, name));
  return dir;
}

const CASES: Array<[string, string, (file: string) => void, RegExp]> = [
  ['a FIFO', PENDING_VERIFY, (f) => spawnSync('mkfifo', [f]), /is not a regular file/],
  ['a FIFO', LAST_VERDICT, (f) => spawnSync('mkfifo', [f]), /is not a regular file/],
  ['a link to /etc/shadow', PENDING_VERIFY, (f) => symlinkSync('/etc/shadow', f), /is a symbolic link/],
  ['2 MB', PENDING_VERIFY, (f) => writeFileSync(f, `{"pad":"${'x'.repeat(2 << 20)}"}`), /is larger than 1048576 bytes/],
  ['20,000 levels deep', PENDING_VERIFY, (f) => writeFileSync(f, `${'['.repeat(20000)}${']'.repeat(20000)}`), /nested more than 10000 levels deep/],
  ['not JSON', LAST_VERDICT, (f) => writeFileSync(f, '{"verdict": '), /is not JSON/],
  ['a baseline of -1 µs', PENDING_VERIFY, (f) => writeFileSync(f, JSON.stringify({ ...good(), baseline: { roundsP50Us: [-1, -1, -1], medianP50Us: -1, kernelClock: null } })), /\(baseline\)/],
  ['a boot counter that is a string', PENDING_VERIFY, (f) => writeFileSync(f, JSON.stringify({ ...good(), boots: '0' })), /\(boot counter\)/],
];

describe('state records read without trust', () => {
  for (const [what, name, put, why] of CASES) {
    it(`${name} that is ${what}: status and verify exit 2 with one line, promptly, and change nothing`, async () => {
      const dir = stateWith(name, put);
      for (const args of [
        ['status', '--state-dir', dir],
        ['verify', '--state-dir', dir, '--settle', '0s'],
      ]) {
        if (args[0] === 'verify' && name === LAST_VERDICT) continue; // verify reads only the armed record
        const r = await runCli(args, { timeout: 20_000 });
        expect(r.signal, `${args[0]} hung`).toBeNull();
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(why);
        expect(r.stderr.split('\n').filter((l) => l.startsWith('nvprobe:'))).toHaveLength(1);
        expect(r.stderr).not.toMatch(/internal error|root:/);
      }
      if (!what.startsWith('a FIFO') && !what.startsWith('a link')) expect(readFileSync(join(dir, name)).length).toBeGreaterThan(0);
      rmSync(dir, { recursive: true, force: true });
    });
  }
});

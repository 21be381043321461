import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NVPROBE, runCli, runCommand } from '../helpers/cli.js';
import { diskTempDir } from '../helpers/files.js';
import { queueAttrs, restoreQueueAttrs, retunableLoop } from '../helpers/loop-target.js';

// The state dir on a tiny filesystem (a 1 MiB tmpfs), filled to leave 0 to 20 KiB free (the
// lock and the journal's records), 104 to 136 KiB (the saved run, ~110 KiB on a quiet machine) in
// 4 KiB steps, and 200 and 900 KiB (a busy machine's run takes more blocks to decide and its
// histograms spread wider: its saved run can outgrow 200 KiB): each write tune makes
// fails somewhere in there, short first (tmpfs takes what fits in the pages it has, then says ENOSPC). Whatever the
// level: no internal error, a failure is one `nvprobe:` line and exit 1, every value that differs
// from the original is one the journal says is in effect, a saved run is whole, and after space
// is freed `revert --all` brings every original value back.
const FS_KIB = 1024;
const LEVELS_KIB = [0, 4, 8, 12, 16, 20, 104, 108, 112, 116, 120, 124, 128, 132, 136, 200, 900];
let tmp: ReturnType<typeof diskTempDir>;
let target: ReturnType<typeof retunableLoop>;
let mnt: string;
let mounted = false;

beforeAll(() => {
  tmp = diskTempDir('nvprobe-fulldisk-');
  target = retunableLoop(tmp.dir);
  mnt = join(tmp.dir, 'statefs');
  mkdirSync(mnt);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${FS_KIB}k,mode=0700`, 'nvprobe-test-statefs', mnt], { encoding: 'utf8' });
  mounted = m.status === 0;
});
afterAll(() => {
  target.cleanUp();
  if (mounted) spawnSync('umount', [mnt]);
  tmp.remove();
});

/** Fill the filesystem so that `freeKiB` stay free (tmpfs counts whole pages). */
function fillTo(freeKiB: number): void {
  rmSync(join(mnt, 'filler'), { force: true });
  const free = () => {
    const s = statfsSync(mnt);
    return (s.bavail * s.bsize) / 1024;
  };
  const fill = Math.max(0, free() - freeKiB);
  if (fill > 0) writeFileSync(join(mnt, 'filler'), Buffer.alloc(fill * 1024, 1));
}

describe('tune and revert with the state dir on a full filesystem', () => {
  it('loses nothing at any fill level: the journal knows every changed value, revert restores them all', async (ctx) => {
    if (!mounted) ctx.skip('cannot mount a tmpfs here (mount failed)');
    const outcomes: string[] = [];
    try {
      for (const freeKiB of LEVELS_KIB) {
        rmSync(join(mnt, 'state'), { recursive: true, force: true });
        fillTo(freeKiB);
        const state = join(mnt, 'state');
        const args = [...target.tuneArgs(state), '--json'];
        const r = await runCommand(NVPROBE, args, { timeout: 60_000 });
        const where = `${freeKiB} KiB free: exit ${r.code}, ${r.stderr.trim()}`;
        expect(r.stderr, where).not.toMatch(/internal error/);
        if (r.code === 0) {
          const doc = JSON.parse(r.stdout);
          // A run said to be saved is there whole.
          if (doc.savedTo) expect(JSON.parse(readFileSync(doc.savedTo, 'utf8')).kind, where).toBe('nvprobe.tune');
          outcomes.push(`${freeKiB}:ok`);
        } else {
          expect(r.code, where).toBe(1);
          expect(r.stderr, where).toMatch(/^nvprobe: .*(ENOSPC|short write)/m);
          outcomes.push(`${freeKiB}:failed`);
        }
        // Every value that differs from the original is one the journal says is in effect.
        const st = await runCli(['status', '--state-dir', state, '--json']);
        const inEffect = new Set(existsSync(state) ? (JSON.parse(st.stdout).entries as Array<{ path: string }>).map((e) => e.path) : []);
        const now = queueAttrs(target.loop.name);
        for (const [attr, v] of Object.entries(target.original)) {
          if (now[attr] !== v)
            expect(
              [...inEffect].some((p) => p.endsWith(`/queue/${attr}`)),
              `${where}: ${attr} is ${now[attr]} (was ${v}) and the journal does not say so`,
            ).toBe(true);
        }
        // Space again: revert puts everything back.
        rmSync(join(mnt, 'filler'), { force: true });
        if (existsSync(state)) {
          const rv = await runCli(['revert', '--all', '--state-dir', state]);
          expect(rv.code, `${where}; revert: ${rv.stderr}`).toBe(0);
        }
        expect(queueAttrs(target.loop.name), where).toEqual(target.original);
      }
    } finally {
      restoreQueueAttrs(target.loop.name, target.original);
    }
    // Some levels must fail and some succeed, or the test did not reach the boundary.
    expect(
      outcomes.some((o) => o.endsWith(':failed')),
      outcomes.join(' '),
    ).toBe(true);
    expect(
      outcomes.some((o) => o.endsWith(':ok')),
      outcomes.join(' '),
    ).toBe(true);
  }, 300_000);
});

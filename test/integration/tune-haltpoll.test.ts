import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { diskTempDir } from '../helpers/files.js';

// The real thing on this machine: a KVM-class guest whose haltpoll driver does not poll
// (guest_halt_poll_ns = 0). tune must find that turning polling on cuts QD1 latency, keep it,
// and revert must put every value back. Global settings are restored in finally regardless.
const HALTPOLL = '/sys/module/haltpoll/parameters/guest_halt_poll_ns';
const hasHaltpoll = existsSync(HALTPOLL);
const disk = (() => {
  const r = runCli(['detect', '--json']);
  return r.code === 0 ? (JSON.parse(r.stdout).rootFs?.disk as string | null) : null;
})();
const QUEUE = ['scheduler', 'rotational', 'iostats', 'nomerges', 'add_random', 'rq_affinity'];
const read = (p: string) => readFileSync(p, 'utf8').trim();
const active = (v: string) => /\[([^\]]+)\]/.exec(v)?.[1] ?? v;

const tmp = diskTempDir('nvprobe-tune-live-');
afterAll(() => tmp.remove());

describe.runIf(hasHaltpoll && disk !== null)('nvprobe tune on this machine', () => {
  // A latency figure on a shared VM: one more try if a neighbour's burst spoiled the first.
  it('keeps haltpoll polling because it cuts p50 by 20 % or more, and revert restores everything', { retry: 2 }, () => {
    const queuePaths = QUEUE.map((a) => `/sys/block/${disk}/queue/${a}`).filter(existsSync);
    const before = Object.fromEntries([HALTPOLL, ...queuePaths].map((p) => [p, read(p)]));
    const state = join(tmp.dir, 'state');
    // The premise: this machine boots with polling off. Anything else means another process is
    // tuning it right now, and no measurement here would mean anything.
    expect(before[HALTPOLL], 'guest_halt_poll_ns is not its boot value 0: something else is tuning this machine').toBe('0');
    try {
      const r = runCli(['tune', '--yes', '--json', '--state-dir', state], { timeout: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      const res = doc.result;
      const hp = res.changes.find((c: { target: string }) => c.target === 'haltpoll.guest_halt_poll_ns');
      expect(hp, JSON.stringify(res.changes)).toBeDefined();
      expect(hp.decision, hp.reason).toBe('kept');
      expect(Number(hp.to)).toBeGreaterThan(0);
      expect(Number(read(HALTPOLL))).toBe(Number(hp.to));
      expect(hp.grid.map((g: { value: number }) => g.value)).toEqual([0, 25000, 50000, 100000, 200000, 400000]);
      // The figures the issue asks for, straight from the run.
      expect(res.after.p50Us, `before ${res.before.p50Us} µs, after ${res.after.p50Us} µs`).toBeLessThanOrEqual(0.8 * res.before.p50Us);
      expect(hp.pollShare.after).toBeGreaterThanOrEqual(hp.pollShare.before);
      const rv = runCli(['revert', '--state-dir', state]);
      expect(rv.code, rv.stderr).toBe(0);
      for (const [p, v] of Object.entries(before)) expect(read(p), p).toBe(v);
    } finally {
      for (const [p, v] of Object.entries(before)) {
        try {
          if (read(p) !== v) writeFileSync(p, active(v));
        } catch {
          // best effort: the assertion above reports what differed
        }
      }
    }
  });
});

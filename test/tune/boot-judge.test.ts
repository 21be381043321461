import { describe, expect, it } from 'vitest';
import { Root } from '../../src/host/root.js';
import { judgeBoots, VERIFY_ROUNDS } from '../../src/tune/boot-verify.js';
import { cpuWorkNs, hostShift, stealBetween } from '../../src/tune/host-reference.js';
import { readCpuTimes } from '../../src/host/cpu-times.js';
import type { HostReference } from '../../src/contracts/boot-verdict.js';
import { gauss, prng } from '../helpers/prng.js';

// The boot-time decision's arithmetic: two periods (before the reboot, after it), guarded by a
// rank-sum interval and by the host reference. Rounds here are p50 µs as verify records them.

/** Rounds around `us` with a fixed ±2 % wobble (the same pattern every time: the test is exact). */
const rounds = (us: number, n = VERIFY_ROUNDS) => Array.from({ length: n }, (_, i) => us * (1 + 0.02 * Math.sin(i * 1.7)));
const ref = (cpuWorkNs: number, stealShare: number | null = 0.01): HostReference => ({ cpuWorkNs, stealShare });

describe('judgeBoots', () => {
  it('10 % faster after the reboot, the same host: kept, with the interval in the reason', () => {
    const j = judgeBoots(rounds(70), rounds(63), ref(2e6), ref(2.02e6), 0.03);
    expect(j.verdict).toBe('kept');
    expect(j.ratio).toBeCloseTo(0.9, 2);
    expect(j.interval[1]!).toBeLessThan(0.97);
    expect(j.reason).toMatch(
      /^median p50 6\d\.\d µs over 12 rounds vs [67]\d\.\d µs over 12 before the reboot \(ratio 0\.90\d, interval 0\.\d+–0\.\d+\): at least [\d.]+ % lower, beyond the 3 % margin: kept$/,
    );
  });

  it('10 % faster although the same CPU work takes 8 % longer after the reboot: a slower host works against the gain, kept', () => {
    const j = judgeBoots(rounds(70), rounds(63), ref(2e6), ref(2.16e6), 0.03);
    expect(j.verdict).toBe('kept');
    expect(j.reason).toMatch(/although the host got slower between the boots \(the same CPU work took 8\.0 % longer \(2\.00 ms → 2\.16 ms\)\), which works against the gain: kept$/);
  });

  it('no gain and a slower host: put down to the host, reverted', () => {
    const j = judgeBoots(rounds(70), rounds(70), ref(2e6), ref(2.16e6), 0.03);
    expect(j.verdict).toBe('reverted-host-changed');
  });

  it("10 % faster, but the same CPU work takes 8 % less: the host's speed-up is not credited, nothing kept", () => {
    const j = judgeBoots(rounds(70), rounds(63), ref(2e6), ref(1.84e6), 0.03);
    expect(j.verdict).toBe('reverted-host-changed');
    expect(j.reason).toMatch(
      /the host changed between the boots \(the same CPU work took 8\.0 % less time \(2\.00 ms → 1\.84 ms\)\): no gain beyond the 3 % margin and the host's own 8\.0 % speed-up/,
    );
  });

  it('30 % faster on a host 8 % faster: the gain clears the margin and the speed-up, kept', () => {
    const j = judgeBoots(rounds(70), rounds(49), ref(2e6), ref(1.84e6), 0.03);
    expect(j.verdict).toBe('kept');
    expect(j.reason).toMatch(/beyond the 3 % margin and the host's own 8\.0 % speed-up/);
  });

  it('the steal share dropped by 5 points: nothing bounds what that explains, nothing kept; it rose: against the gain', () => {
    expect(judgeBoots(rounds(70), rounds(49), ref(2e6, 0.06), ref(2e6, 0.01), 0.03).verdict).toBe('reverted-host-changed');
    expect(judgeBoots(rounds(70), rounds(63), ref(2e6, 0.01), ref(2e6, 0.06), 0.03).verdict).toBe('kept');
    const still = hostShift(ref(2e6, 0.01), ref(2e6, 0.03));
    expect(still.favouring).toBeNull();
    expect(still.against).toBeNull();
  });

  it('a burst in the boot after (3 of 12 rounds at 3×) does not hide a real 10 % gain: ranks, not means', () => {
    const after = rounds(63).map((x, i) => (i % 4 === 1 ? x * 3 : x));
    expect(judgeBoots(rounds(70), after, ref(2e6), ref(2e6), 0.03).verdict).toBe('kept');
  });

  it('1 % faster: no gain (the whole interval short of 3 %) — or too noisy, never kept', () => {
    const j = judgeBoots(rounds(70), rounds(69.3), ref(2e6), ref(2e6), 0.03);
    expect(j.verdict).toBe('reverted-no-gain');
    const noisy = judgeBoots(
      rounds(70).map((x, i) => x * (i % 2 ? 1.3 : 0.8)),
      rounds(66).map((x, i) => x * (i % 2 ? 1.3 : 0.8)),
      ref(2e6),
      ref(2e6),
      0.03,
    );
    expect(noisy.verdict).toBe('reverted-too-noisy');
  });

  it('a record armed before the host reference existed: judged on the interval, and the reason says it was not guarded', () => {
    const j = judgeBoots(rounds(70), rounds(63), null, ref(2e6), 0.03);
    expect(j.verdict).toBe('kept');
    expect(j.reason).toMatch(/no host reference from before the reboot: not guarded against a host change/);
  });

  it('the test-only margin 1 never keeps', () => {
    expect(judgeBoots(rounds(70), rounds(7), ref(2e6), ref(2e6), 1).verdict).toBe('reverted-no-gain');
  });
});

describe('the host reference on this machine', () => {
  it('times the CPU work (ms, repeatable within the tolerance back to back) and reads the steal share from /proc/stat', async () => {
    const a = cpuWorkNs();
    const b = cpuWorkNs();
    expect(a).toBeGreaterThan(1e4);
    expect(a).toBeLessThan(1e9);
    // Back to back on one machine: not a host change (a busy neighbour stretches some runs, not the lower quartile).
    expect(Math.abs(b / a - 1)).toBeLessThan(0.25);
    const root = new Root('/');
    const t0 = readCpuTimes(root);
    expect(t0.vcpus.size).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 200));
    const share = stealBetween(t0, readCpuTimes(root));
    expect(share).not.toBeNull();
    expect(share!).toBeGreaterThanOrEqual(0);
    expect(share!).toBeLessThan(1);
  });
});

describe('judgeBoots: false keeps when the host, not the change, moved the reads', () => {
  /** A change that does nothing, across a reboot onto a host whose CPU work takes `cpu`× as long and whose reads take `reads`×. */
  function keptShare(cpu: number, reads: number, trials = 1000): number {
    const r = prng(Math.round(cpu * 1000 + reads * 100));
    let kept = 0;
    for (let t = 0; t < trials; t++) {
      // 10 % round-to-round noise, and a burst (one round at 2-3×) in a fifth of the boots.
      const boot = (scale: number) => Array.from({ length: VERIFY_ROUNDS }, () => 70 * scale * Math.exp(0.1 * gauss(r)) * (r() < 0.2 / VERIFY_ROUNDS ? 2 + r() : 1));
      if (judgeBoots(boot(1), boot(reads), ref(2e6), ref(2e6 * cpu), 0.03).verdict === 'kept') kept++;
    }
    return kept / trials;
  }

  it('a host 10 % faster that makes every read 10 % faster: kept no more often than the 2 % false-keep rate', () => {
    const share = keptShare(0.9, 0.9);
    console.log(`false keeps, host 10 % faster (reads too): ${(share * 100).toFixed(1)} %`);
    expect(share).toBeLessThanOrEqual(0.02);
  });

  it('a host 10 % slower: a no-op is (almost) never kept, the slower host works against it', () => {
    expect(keptShare(1.1, 1.1)).toBeLessThanOrEqual(0.005);
  });

  it('the same host: the interval alone holds the rate', () => {
    expect(keptShare(1, 1)).toBeLessThanOrEqual(0.02);
  });
});

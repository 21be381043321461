import { describe, expect, it } from 'vitest';
import type { ConfigDifference, LatencyComparison, SideLatency } from '../../src/contracts/compare-document.js';
import { beyondNoise, citations, compareVerdict, signedPct, toleranceUs } from '../../src/report/compare-verdict.js';

// The closing sentence of `report A B` on constructed numbers: which side of a read moved, with
// the tolerance max(1 µs, 10 % of A) deciding what "stayed" means.

/** A side whose p50s are given (p99 = 3 × p50); the total is submit + device + completion. */
function side(device: number, submit: number, completion: number, opts: { phases?: boolean; series?: string } = {}): SideLatency {
  const q = (p50: number) => ({ p50Us: p50, p99Us: 3 * p50 });
  const total = submit + device + completion;
  return {
    series: opts.series ?? 'read latency (native estimate)',
    ...q(total),
    phases: opts.phases === false ? null : { submit: q(submit), device: q(device), completion: q(completion), guestSide: q(submit + completion) },
    noPhasesReason: opts.phases === false ? 'kernel clock unavailable: kernel tracing needs root' : null,
  };
}
const compare = (A: SideLatency | null, B: SideLatency | null, missing: LatencyComparison['missing'] = { A: null, B: null }): LatencyComparison => ({ A, B, missing, note: null });
const noCite = { guest: null, device: null };

describe('tolerance', () => {
  it('is 10 % of A above 10 µs and 1 µs below', () => {
    expect(toleranceUs(60)).toBeCloseTo(6);
    expect(toleranceUs(4)).toBe(1);
    expect(beyondNoise(60, 66)).toBe(false); // exactly 10 %: still noise
    expect(beyondNoise(60, 66.1)).toBe(true);
    expect(beyondNoise(4, 4.9)).toBe(false); // +22 % but under 1 µs
    expect(beyondNoise(4, 5.1)).toBe(true);
    expect(beyondNoise(60, 53.9)).toBe(true); // faster counts the same way
  });
});

describe('the side sentence', () => {
  it('drift on the device and host side, the guest side steady: the storage or the host changed', () => {
    // A: 5 + 57 + 11 = 73 µs; B: the device side +35 µs, the guest side +0.4 µs.
    const v = compareVerdict(compare(side(57, 5, 11), side(92, 5.2, 11.2)), noCite);
    expect(v.side).toBe('device');
    expect(v.deltaP50Us).toBeCloseTo(35.4);
    expect(v.sentence).toBe(
      'B is 35.4 µs slower at p50 (+48 %); the device and host side grew by 35.0 µs (+61 %) while the guest side stayed within 1 µs: the storage or the host changed (live migration, a noisy neighbour, another backend)',
    );
  });

  it('the guest side grew, the device steady: the guest changed, citing the difference that acts there', () => {
    const cite = { guest: 'cpuidle driver haltpoll → none', device: null };
    const v = compareVerdict(compare(side(50, 2, 3), side(51, 2.1, 26)), cite);
    expect(v.side).toBe('guest');
    expect(v.sentence).toBe(
      'B is 24.1 µs slower at p50 (+44 %); the guest side grew by 23.1 µs (+462 %) while the device and host side stayed within 1 µs: the guest changed (see the configuration differences: cpuidle driver haltpoll → none)',
    );
    // Without a difference to cite, it says where to look instead.
    expect(compareVerdict(compare(side(50, 2, 3), side(51, 2.1, 26)), noCite).sentence).toMatch(
      /: the guest changed \(no difference of the machine or the measured disk acts there: look for load inside the guest/,
    );
  });

  it('a side that moved within its own tolerance but beyond 1 µs says by how much it stayed', () => {
    const v = compareVerdict(compare(side(50, 2, 3), side(54, 2, 26)), noCite);
    expect(v.side).toBe('guest');
    expect(v.sentence).toContain('while the device and host side stayed within 4.00 µs (+8 %)');
  });

  it('equal within the noise: no difference beyond the noise, with the figures', () => {
    const v = compareVerdict(compare(side(57, 5, 11), side(60, 5.5, 11)), noCite);
    expect(v.side).toBe('none');
    expect(v.sentence).toBe('no difference beyond the noise: p50 73.0 µs in A, 76.5 µs in B (+3.50 µs, +5 %; within max(1 µs, 10 %))');
  });

  it('faster: the same analysis with the signs turned', () => {
    const v = compareVerdict(compare(side(92, 5, 11), side(57, 5, 11.3)), noCite);
    expect(v.side).toBe('device');
    expect(v.sentence).toMatch(/^B is 34\.7 µs faster at p50 \(−32 %\); the device and host side shrank by 35\.0 µs \(−38 %\) while the guest side stayed within 1 µs/);
  });

  it('both sides moved: both changed, citing each side once', () => {
    const v = compareVerdict(compare(side(50, 2, 3), side(70, 2, 20)), { guest: 'transport of vda virtio-blk → nvme', device: 'transport of vda virtio-blk → nvme' });
    expect(v.side).toBe('both');
    expect(v.sentence).toBe(
      'B is 37.0 µs slower at p50 (+67 %); the device and host side grew by 20.0 µs (+40 %) and the guest side grew by 17.0 µs (+340 %): both the guest and the storage or the host changed (see the configuration differences: transport of vda virtio-blk → nvme)',
    );
  });

  it('the sides moved the other way from the headline: the sentence says the phases do not explain it', () => {
    // Two probes of one file seconds apart: the headline +40.4 µs, while the device side shrank by 36.9 µs and the guest side grew by 19.3 µs.
    const A = { ...side(111.6, 6, 2.77), p50Us: 132.3 };
    const B = { ...side(74.7, 7, 21.07), p50Us: 172.7 };
    const v = compareVerdict(compare(A, B), noCite);
    expect(v.side).toBe('both');
    expect(v.sentence).toMatch(/^B is 40\.4 µs slower at p50 \(\+31 %\); the device and host side shrank by 36\.9 µs \(−33 %\) and the guest side grew by 19\.3 µs/);
    expect(v.sentence).toMatch(/; but the two sides together moved −17\.6 µs, against the headline's \+40\.4 µs: the reads the phases were timed on do not explain the headline's difference$/);
    // Neither side beyond the noise, both a little the other way: not "spread over both".
    const spread = compareVerdict(compare({ ...side(9, 1, 1), p50Us: 11 }, { ...side(8.6, 0.8, 1), p50Us: 13 }), noCite);
    expect(spread.side).toBe('spread');
    expect(spread.sentence).toBe(
      "B is 2.00 µs slower at p50 (+18 %); neither side moved beyond the noise on its own (device and host −0.40 µs, guest side −0.20 µs); but the two sides together moved −0.60 µs, against the headline's +2.00 µs: the reads the phases were timed on do not explain the headline's difference",
    );
    // Moving with the headline, they need no such words.
    expect(compareVerdict(compare(side(57, 5, 11), side(92, 5.2, 11.2)), noCite).sentence).not.toContain('do not explain');
  });

  it('the total moved but neither side beyond its own tolerance: spread over both', () => {
    // 11 → 12.8 µs is beyond max(1, 1.1) µs; the device side +0.9 and the guest side +0.9 µs are each within 1 µs.
    const v = compareVerdict(compare(side(9, 1, 1), side(9.9, 1.5, 1.4)), noCite);
    expect(v.side).toBe('spread');
    expect(v.sentence).toBe('B is 1.80 µs slower at p50 (+16 %); neither side moved beyond the noise on its own (device and host +0.90 µs, guest side +0.90 µs): the difference is spread over both');
  });

  it('headlines on two clocks whose phases did not move: the clocks differ, not the reads', () => {
    const latency = { ...compare(side(57, 1.5, 2.6), side(54.6, 1.9, 2.5)), note: "A's figure is the tune: final settings (process clock, calibrated), B's the read latency (native estimate)" };
    latency.A!.p50Us = 90.6; // a run's headline: the process clock, nvprobe's call included
    const v = compareVerdict(latency, noCite);
    expect(v.side).toBe('spread');
    expect(v.sentence).toBe(
      "B is 31.6 µs faster at p50 (−35 %); the phases, on the kernel clock on both sides, stayed within the noise (device and host −2.40 µs, guest side +0.30 µs): the difference is the two headlines' clocks (see the note), not the reads",
    );
  });

  it('phases on one side only: the split is unknown, totals compared', () => {
    const v = compareVerdict(compare(side(57, 5, 11), side(92, 5, 11, { phases: false })), noCite);
    expect(v.side).toBe('split-unknown');
    expect(v.sentence).toBe('B is 35.0 µs slower at p50 (+48 %); where it lies is unknown, totals only: B has no phases (kernel clock unavailable: kernel tracing needs root)');
  });

  it('one side without latency: nothing to compare, and why', () => {
    const v = compareVerdict(compare(null, side(57, 5, 11), { A: 'its probe was skipped: --no-probe', B: null }), noCite);
    expect(v).toMatchObject({ side: 'no-data', deltaP50Us: null, sentence: 'no latency to compare: A has none (its probe was skipped: --no-probe)' });
    expect(compareVerdict(compare(null, null, { A: 'x', B: 'y' }), noCite).sentence).toBe('no latency to compare: A has none (x); B has none (y)');
  });

  it('percentages: rounded, one decimal below 1 %, a true minus sign', () => {
    expect(signedPct(0.3, 60)).toBe('+0.5 %');
    expect(signedPct(-30, 60)).toBe('−50 %');
    expect(signedPct(0, 60)).toBe('+0 %');
  });
});

describe('citations', () => {
  const diff = (over: Partial<ConfigDifference>): ConfigDifference => ({
    rank: 1,
    key: 'k',
    label: 'scheduler',
    subject: 'vda (measured)',
    concerns: 'measured-disk',
    a: 'none',
    b: 'mq-deadline',
    why: 'w',
    acts: 'guest',
    ...over,
  });

  it('cite the first difference acting on each side, of the machine or the measured disk only', () => {
    const c = citations([
      diff({ label: 'scheduler', subject: 'loop3', concerns: 'other-disk' }), // another disk: not where the reads went
      diff({ label: 'cpuidle driver', subject: null, concerns: 'machine', a: 'haltpoll', b: 'none' }),
      diff({ label: 'NVMe controller', acts: 'device', a: 'qemu-emulated (emulated)', b: 'other' }),
    ]);
    expect(c).toEqual({ guest: 'cpuidle driver haltpoll → none', device: 'NVMe controller of vda (measured) qemu-emulated (emulated) → other' });
    expect(citations([diff({ acts: 'both', label: 'transport', a: 'virtio-blk', b: 'nvme' })])).toEqual({
      guest: 'transport of vda (measured) virtio-blk → nvme',
      device: 'transport of vda (measured) virtio-blk → nvme',
    });
  });
});

describe('steal beside the side sentence', () => {
  const cpu = (steal: number) => ({ busyShare: 0.3, maxStealShare: steal, stealPerReadUs: steal * 100, perReadUs: 40 });
  it('the host side grew and steal rose by more than a point: the sentence says the host runs other work on these CPUs', () => {
    const v = compareVerdict(compare({ ...side(57, 5, 11), cpu: cpu(0.002) }, { ...side(92, 5.2, 11.2), cpu: cpu(0.045) }), noCite);
    expect(v.side).toBe('device');
    expect(v.sentence).toMatch(/; steal rose from 0\.2 % to 4\.5 % of a vCPU \(0\.20 → 4\.50 µs per read\): the host runs other work on this guest's CPUs$/);
  });

  it('a move under a point, or a side without CPU figures (an older input), adds nothing', () => {
    expect(compareVerdict(compare({ ...side(57, 5, 11), cpu: cpu(0.002) }, { ...side(92, 5.2, 11.2), cpu: cpu(0.009) }), noCite).sentence).not.toMatch(/steal/);
    expect(compareVerdict(compare(side(57, 5, 11), { ...side(92, 5.2, 11.2), cpu: cpu(0.2) }), noCite).sentence).not.toMatch(/steal/);
  });
});

describe('where the reads waited beside the side sentence', () => {
  const placed = (share: number, reads = 5000) => ({ reads, sameCpuShare: share, completionCpu: 1 });
  /** A: the reads on their completions' CPU; B: the guest side 30 µs longer, the reads waiting elsewhere. */
  const movedAway = compare({ ...side(50, 2, 10), placement: placed(0.99) }, { ...side(51, 2, 40), placement: placed(0.02) });
  it('the guest side grew and the share completed on the reader’s CPU fell: the sentence says so, with the completions’ CPU', () => {
    const v = compareVerdict(movedAway, noCite);
    expect(v.side).toBe('guest');
    expect(v.sentence).toBe(
      "B is 31.0 µs slower at p50 (+50 %); the guest side grew by 30.0 µs (+250 %) while the device and host side stayed within 1 µs: the guest changed (the reads waited on their completion's CPU 99 % of the time in A, 2 % in B: a completion on another CPU wakes its reader with an inter-processor interrupt (the completions ran on CPU 1: an application there, e.g. taskset -c 1, waits least))",
    );
  });

  it('beside a configuration difference that acts on the guest side, both are named', () => {
    const v = compareVerdict(movedAway, { guest: 'cpuidle driver haltpoll → none', device: null });
    expect(v.sentence).toMatch(/the guest changed \(see the configuration differences: cpuidle driver haltpoll → none; the reads waited on their completion's CPU 99 % of the time in A, 2 % in B/);
  });

  it('both sides moved with the placement: it may be all that changed, since it moves both sides on its own', () => {
    const v = compareVerdict(compare({ ...side(50, 2, 3), placement: placed(0.9) }, { ...side(70, 2, 20), placement: placed(0.1) }), noCite);
    expect(v.side).toBe('both');
    expect(v.sentence).toBe(
      "B is 37.0 µs slower at p50 (+67 %); the device and host side grew by 20.0 µs (+40 %) and the guest side grew by 17.0 µs (+340 %), and the reads waited on their completion's CPU 90 % of the time in A, 10 % in B: a completion on another CPU wakes its reader with an inter-processor interrupt (the completions ran on CPU 1: an application there, e.g. taskset -c 1, waits least); where the reads wait moves both sides on its own (pinned off the completions' CPU, a 2-vCPU KVM guest read +23 µs on the guest side and +8 to +25 µs on the device and host side), so it may be all that changed",
    );
  });

  it('only the device side moved, the placement too: the sentence adds that the placement moves that side as well', () => {
    const v = compareVerdict(compare({ ...side(50, 2, 10), placement: placed(0.99) }, { ...side(90, 2, 10.5), placement: placed(0.02) }), noCite);
    expect(v.side).toBe('device');
    expect(v.sentence).toMatch(
      /the storage or the host changed \(live migration, a noisy neighbour, another backend\); but the reads waited on their completion's CPU 99 % of the time in A, 2 % in B: .*, and that moves the device and host side too \(pinned off/,
    );
  });

  it('a move under a quarter of the reads, too few reads, a side without placement: nothing is added', () => {
    const quiet = (a: number, b: number, reads = 5000) =>
      compareVerdict(compare({ ...side(50, 2, 10), placement: placed(a, reads) }, { ...side(51, 2, 40), placement: placed(b, reads) }), noCite).sentence;
    expect(quiet(0.99, 0.76)).not.toMatch(/waited on their completion/);
    expect(quiet(0.99, 0.02, 19)).not.toMatch(/waited on their completion/);
    expect(compareVerdict(compare(side(50, 2, 10), { ...side(51, 2, 40), placement: placed(0.02) }), noCite).sentence).not.toMatch(/waited on their completion/);
    expect(compareVerdict(compare({ ...side(50, 2, 10), placement: placed(0.99) }, { ...side(90, 2, 10.5), placement: placed(0.8) }), noCite).sentence).not.toMatch(/waited on their completion/);
  });
});

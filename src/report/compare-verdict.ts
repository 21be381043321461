import type { CompareVerdict, ConfigDifference, LatencyComparison, Quantiles, SideCpu, SidePlacement } from '../contracts/compare-document.js';
import { STEAL_ADVICE_SHARE } from '../contracts/cpu-cost.js';
import { fmtUs } from './format.js';
import { placementMoved, sameCpuPercent } from './kernel-clock-text.js';

/**
 * A difference between two inputs counts only beyond max(1 µs, 10 % of A's value). Two probes are
 * two periods, not interleaved rounds (tune's 3 % rule rests on blocks in random order), so what
 * the host does meanwhile is in the difference. Eight 3 s probes of one development VM, 5 s apart,
 * beside other test runs: p50 53–70 µs, the device and host side 49–65 µs, the guest side
 * 4.0–5.0 µs. The guest side stays within the 1 µs floor from period to period (10 % of it is a
 * few hundred ns, less than a wake-up's jitter); beyond 10 % the total did move, and the split
 * says where: there, the host behind the disk.
 */
export const TOLERANCE = { floorUs: 1, relative: 0.1 } as const;

/**
 * Measured: one file on a 2-vCPU KVM guest's virtio-blk disk, three probes pinned each way. Off the
 * completions' CPU, the guest side grew by about 23 µs (the wake-up) and the device and host side
 * by 8 to 25 µs (the interrupt reaches a vCPU in another state): placement alone moves both.
 */
const PLACEMENT_BOTH_SIDES = "pinned off the completions' CPU, a 2-vCPU KVM guest read +23 µs on the guest side and +8 to +25 µs on the device and host side";

export function toleranceUs(referenceUs: number): number {
  return Math.max(TOLERANCE.floorUs, TOLERANCE.relative * referenceUs);
}

/** B differs from A beyond the noise. */
export function beyondNoise(aUs: number, bUs: number): boolean {
  return Math.abs(bUs - aUs) > toleranceUs(aUs);
}

/**
 * The configuration difference the sentence points at, for each side of a read: the highest-ranked
 * acting on it, of the machine or the measured disk (another disk's setting does not touch the reads).
 */
export function citations(differences: readonly ConfigDifference[]): { guest: string | null; device: string | null } {
  const first = (side: 'guest' | 'device') => differences.find((d) => d.concerns !== 'other-disk' && (d.acts === side || d.acts === 'both'));
  const words = (d: ConfigDifference | undefined) => (d ? `${d.label}${d.subject ? ` of ${d.subject}` : ''} ${d.a ?? 'absent'} → ${d.b ?? 'absent'}` : null);
  return { guest: words(first('guest')), device: words(first('device')) };
}

/**
 * The closing sentence: how B differs from A at p50, and on which side of a read (the device and
 * the host behind it, or the guest's own submit and completion → return) the difference lies.
 */
export function compareVerdict(latency: LatencyComparison, cite: { guest: string | null; device: string | null }): CompareVerdict {
  const base = { tolerance: { ...TOLERANCE } };
  const { A, B } = latency;
  if (!A || !B) {
    const why = (['A', 'B'] as const).filter((s) => !latency[s]).map((s) => `${s} has none (${latency.missing[s] ?? 'no measurement'})`);
    return { ...base, side: 'no-data', deltaP50Us: null, sentence: `no latency to compare: ${why.join('; ')}` };
  }
  const d = B.p50Us - A.p50Us;
  if (!beyondNoise(A.p50Us, B.p50Us)) {
    return {
      ...base,
      side: 'none',
      deltaP50Us: d,
      sentence: `no difference beyond the noise: p50 ${fmtUs(A.p50Us)} µs in A, ${fmtUs(B.p50Us)} µs in B (${signedUs(d)}, ${signedPct(d, A.p50Us)}; within max(${TOLERANCE.floorUs} µs, ${TOLERANCE.relative * 100} %))`,
    };
  }
  const lead = `B is ${fmtUs(Math.abs(d))} µs ${d > 0 ? 'slower' : 'faster'} at p50 (${signedPct(d, A.p50Us)})`;
  if (!A.phases || !B.phases) {
    const which = (['A', 'B'] as const).filter((s) => !latency[s]!.phases).map((s) => `${s} has no phases (${latency[s]!.noPhasesReason ?? 'none'})`);
    return { ...base, side: 'split-unknown', deltaP50Us: d, sentence: `${lead}; where it lies is unknown, totals only: ${which.join('; ')}` };
  }
  const dev = { a: A.phases.device, b: B.phases.device };
  const guest = { a: A.phases.guestSide, b: B.phases.guestSide };
  const devMoved = beyondNoise(dev.a.p50Us, dev.b.p50Us);
  const guestMoved = beyondNoise(guest.a.p50Us, guest.b.p50Us);
  const see = (c: string | null) => (c ? ` (see the configuration differences: ${c})` : '');
  // The phases are timed on other reads than the headline (a probe's all-events slices, a run's
  // traced pair at the end): where they moved the other way, a side that moved does not explain B − A.
  const phasesMoved = dev.b.p50Us - dev.a.p50Us + (guest.b.p50Us - guest.a.p50Us);
  const against =
    phasesMoved * d < 0
      ? `; but the two sides together moved ${signedUs(phasesMoved)}, against the headline's ${signedUs(d)}: the reads the phases were timed on do not explain the headline's difference`
      : '';
  const place = placementWords(A.placement, B.placement);
  if (devMoved && !guestMoved) {
    return {
      ...base,
      side: 'device',
      deltaP50Us: d,
      sentence: `${lead}; the device and host side ${moved(dev)} while the guest side stayed within ${stayed(guest)}: the storage or the host changed (live migration, a noisy neighbour, another backend)${see(cite.device)}${place ? `; but ${place}, and that moves the device and host side too (${PLACEMENT_BOTH_SIDES})` : ''}${stealWords(A.cpu, B.cpu)}${against}`,
    };
  }
  if (guestMoved && !devMoved) {
    const why =
      [cite.guest ? `see the configuration differences: ${cite.guest}` : null, place].filter((w): w is string => w !== null).join('; ') ||
      'no difference of the machine or the measured disk acts there: look for load inside the guest, or a setting nvprobe does not read';
    return {
      ...base,
      side: 'guest',
      deltaP50Us: d,
      sentence: `${lead}; the guest side ${moved(guest)} while the device and host side stayed within ${stayed(dev)}: the guest changed (${why})${against}`,
    };
  }
  if (guestMoved && devMoved) {
    const cites = [...new Set([cite.guest, cite.device].filter((c): c is string => c !== null))];
    return {
      ...base,
      side: 'both',
      deltaP50Us: d,
      sentence: place
        ? `${lead}; the device and host side ${moved(dev)} and the guest side ${moved(guest)}, and ${place}; where the reads wait moves both sides on its own (${PLACEMENT_BOTH_SIDES}), so it may be all that changed${see(cites.join('; ') || null)}${stealWords(A.cpu, B.cpu)}${against}`
        : `${lead}; the device and host side ${moved(dev)} and the guest side ${moved(guest)}: both the guest and the storage or the host changed${see(cites.join('; ') || null)}${stealWords(A.cpu, B.cpu)}${against}`,
    };
  }
  const sides = `device and host ${signedUs(dev.b.p50Us - dev.a.p50Us)}, guest side ${signedUs(guest.b.p50Us - guest.a.p50Us)}`;
  // The phases are on the kernel clock on both sides; two headlines on different clocks are not.
  const sentence = latency.note
    ? `${lead}; the phases, on the kernel clock on both sides, stayed within the noise (${sides}): the difference is the two headlines' clocks (see the note), not the reads`
    : `${lead}; neither side moved beyond the noise on its own (${sides})${against || ': the difference is spread over both'}`;
  return { ...base, side: 'spread', deltaP50Us: d, sentence };
}

/**
 * A side moved and so did where the reads waited: a completion on another CPU than its
 * reader's wakes that vCPU with an inter-processor interrupt (README, "placement"). Says which
 * CPU takes the completions, where an application waits least.
 */
function placementWords(a: SidePlacement | null | undefined, b: SidePlacement | null | undefined): string | null {
  if (!a || !b || !placementMoved(a, b)) return null;
  const cpu = b.completionCpu ?? a.completionCpu;
  return (
    `the reads waited on their completion's CPU ${sameCpuPercent(a)} of the time in A, ${sameCpuPercent(b)} in B: a completion on another CPU wakes its reader with an inter-processor interrupt` +
    (cpu !== null ? ` (the completions ran on CPU ${cpu}: an application there, e.g. taskset -c ${cpu}, waits least)` : '')
  );
}

/**
 * Steal says which host change it was: a vCPU the host kept off its CPUs. A move of at least the
 * steal advice's share (1 % of a vCPU: README, "What polling costs") on the vCPU that stole most.
 */
function stealWords(a: SideCpu | null | undefined, b: SideCpu | null | undefined): string {
  if (!a || !b || Math.abs(b.maxStealShare - a.maxStealShare) < STEAL_ADVICE_SHARE) return '';
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return b.maxStealShare > a.maxStealShare
    ? `; steal rose from ${pct(a.maxStealShare)} to ${pct(b.maxStealShare)} of a vCPU (${fmtUs(a.stealPerReadUs)} → ${fmtUs(b.stealPerReadUs)} µs per read): the host runs other work on this guest's CPUs`
    : `; steal fell from ${pct(a.maxStealShare)} to ${pct(b.maxStealShare)} of a vCPU (${fmtUs(a.stealPerReadUs)} → ${fmtUs(b.stealPerReadUs)} µs per read): the host gives this guest's CPUs more of their time`;
}

function moved(x: { a: Quantiles; b: Quantiles }): string {
  const d = x.b.p50Us - x.a.p50Us;
  return `${d > 0 ? 'grew' : 'shrank'} by ${fmtUs(Math.abs(d))} µs (${signedPct(d, x.a.p50Us)})`;
}

/** "0.40 µs", or for a difference under the floor, the floor itself: "1 µs". */
function stayed(x: { a: Quantiles; b: Quantiles }): string {
  const d = Math.abs(x.b.p50Us - x.a.p50Us);
  return d <= TOLERANCE.floorUs ? `${TOLERANCE.floorUs} µs` : `${fmtUs(d)} µs (${signedPct(x.b.p50Us - x.a.p50Us, x.a.p50Us)})`;
}

/** "+3.20 µs", "−12.1 µs" (a true minus sign, as the README writes differences). */
export function signedUs(d: number): string {
  return `${d < 0 ? '−' : '+'}${fmtUs(Math.abs(d))} µs`;
}

/** "+52 %", "−4 %", "+0.4 %" below one percent. */
export function signedPct(d: number, reference: number): string {
  if (!(reference > 0)) return 'n/a %';
  const pct = (100 * d) / reference;
  const abs = Math.abs(pct);
  return `${pct < 0 ? '−' : '+'}${abs < 1 && abs > 0 ? abs.toFixed(1) : Math.round(abs)} %`;
}

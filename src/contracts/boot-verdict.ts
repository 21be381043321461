// What a reboot must show and what verify concluded: read by the verify, status and tune documents.

export interface Verdict {
  run: string;
  at: string;
  boot: number;
  verdict: 'kept' | 'reverted-no-gain' | 'reverted-too-noisy' | 'reverted-host-changed' | 'reverted-not-in-effect' | 'reverted-boot-bound' | 'measure-failed';
  reason: string;
  checks: Array<Expectation & { inEffect: boolean; live: string | null; why: string | null }>;
  baselineMedianP50Us: number;
  /** The baseline's rounds, so that the verdict file alone shows what was compared (absent in older verdicts). */
  baselineRoundsP50Us?: number[];
  afterRoundsP50Us: number[] | null;
  afterMedianP50Us: number | null;
  /** after / before: the Hodges–Lehmann estimate over the rounds' p50s (records before the interval: the median ratio). */
  ratio: number | null;
  /** The ratio's interval, each end one-sided at 1 − FALSE_KEEP_RATE: kept only when its upper end is below 1 − margin. */
  interval?: [number | null, number | null] | null;
  /** The host reference before the reboot and after it: when it moved, nothing is kept. */
  reference?: { before: HostReference | null; after: HostReference } | null;
  margin: number;
  rebooting: boolean;
}

/** Something the next boot must show for a reboot-only change to be in effect. */
export type Expectation =
  | { kind: 'cmdline-word'; change: string; word: string }
  | { kind: 'module-param'; change: string; module: string; param: string; value: string }
  | { kind: 'cpuidle-driver'; change: string; driver: string }
  | { kind: 'disk-poll'; change: string; disk: string };

/**
 * What the host gives this guest, measured the same way before a reboot and after it: a change
 * nvprobe makes in the guest (idle polling, poll queues) cannot move these, so when they move
 * between the boots, the host changed and a before/after comparison cannot be attributed.
 */
export interface HostReference {
  /** Time of a fixed piece of CPU work (fastest of repeats), ns: longer when the host gives the vCPU less. */
  cpuWorkNs: number;
  /** Share of CPU time stolen by the host over the measuring window; null where /proc/stat has no steal. */
  stealShare: number | null;
}

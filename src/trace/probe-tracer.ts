import { median } from 'simple-statistics';
import { round3, type LatencySummary } from '../measure/summary.js';
import { TraceInstance, TraceUnavailable, TRACE_CLOCK } from './instance.js';
import { ioEventSpecs, IoEventDecoder, type IoEvent, type IoEventKind, type ReadTraceSpec } from './io-events.js';
import { outsideSyscall, readStats, selectReads, shiftedTotal, type PhaseStats, type ReadStats } from './phase-stats.js';
import { ReadJoiner } from './read-joiner.js';

/** Slices (50 ms each) per tracing round; every OFF_EVERY-th round runs with the events off. */
const SLICES_PER_ROUND = 4;
const OFF_EVERY = 4;
const BUFFER_KB = 8192;
/** Slices per cycle: OFF_EVERY rounds, the last one untraced. */
const CYCLE_SLICES = SLICES_PER_ROUND * OFF_EVERY;
/** The correction needs this many cycles (traced rounds, then an untraced one) of at least MIN_CYCLE_READS reads each side. */
const MIN_CYCLES = 3;
const MIN_CYCLE_READS = 50;
/** ... and a standard error across cycles at most this fraction of the cost it estimates. */
const MAX_RELATIVE_SE = 0.2;

/**
 * What a slice traces: 'syscall' only the probe thread's syscall entry and exit (cheap: the
 * headline total), 'all' every event (the phases; block events and their filters add their own
 * cost inside the timed window, ~1 µs per read), 'off' nothing (tracing's own cost).
 */
export type SliceMode = 'off' | 'syscall' | 'all';

/** On rounds alternate slices: all events first (a short run still gets phases), then syscall-only. */
export function sliceMode(slice: number): SliceMode {
  if (Math.floor(slice / SLICES_PER_ROUND) % OFF_EVERY === OFF_EVERY - 1) return 'off';
  return slice % 2 === 0 ? 'all' : 'syscall';
}

export const KERNEL_CLOCK_METHOD =
  `a private ftrace instance (trace_clock ${TRACE_CLOCK}, ns), per-CPU binary ring buffers read between 50 ms slices of the run; ` +
  'slices alternate: syscall entry → exit of the probe thread only (the total), and all events (the phases: request issue/complete, ' +
  "or bio queue/complete on bio-based devices, of the read's own sector; cpu_idle); " +
  `every ${OFF_EVERY}th round of ${SLICES_PER_ROUND} slices runs with the events off to measure tracing's own cost`;

export interface TracingOverhead {
  /**
   * Process-timed median of the slices the total comes from (syscall events only; all events
   * when the run had no such slice) minus with events off; null when the run had no off round.
   */
  perIoUs: number | null;
  tracedP50Us: number | null;
  untracedP50Us: number | null;
  tracedReads: number;
  untracedReads: number;
  /** The same for the slices with every event on (where the phases come from); absent in older documents. */
  phaseSlices?: { perIoUs: number | null; p50Us: number | null; reads: number };
  /** Time spent reading and decoding the buffers between slices (not counted as measuring time). */
  drainMs: number;
  note?: string;
}

/**
 * Whether the headline total was corrected for the cost of its own events, and why (not). The
 * cost is estimated per cycle (the traced slices of its rounds, then the untraced round that
 * follows them: interleaved, so a drift of the machine hits both sides); it is subtracted only
 * when it is above zero and its standard error across cycles is small against it.
 */
export interface TracingCorrection {
  applied: boolean;
  /** Subtracted from every read of `total` to give `correctedTotal`: `overhead.perIoUs`; null when not applied. */
  perIoUs: number | null;
  /** Per cycle: p50 of its traced (headline) slices minus p50 of its untraced round, µs. */
  cycleCostsUs: number[];
  /** Standard deviation of `cycleCostsUs` over √cycles; null below two cycles. */
  standardErrorUs: number | null;
  /** Why the cost was not subtracted, in one line. */
  reason?: string;
}

/** Decide whether a measured tracing cost can be taken off the kernel-clock total. */
export function tracingCorrection(pooledCostUs: number | null, cycleCostsUs: number[]): TracingCorrection {
  const n = cycleCostsUs.length;
  let se: number | null = null;
  if (n >= 2) {
    const mean = cycleCostsUs.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(cycleCostsUs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    se = round3(sd / Math.sqrt(n));
  }
  const out = (reason: string): TracingCorrection => ({ applied: false, perIoUs: null, cycleCostsUs, standardErrorUs: se, reason });
  if (pooledCostUs === null) return out("tracing's cost was not measured (no untraced round)");
  if (n < MIN_CYCLES) return out(`only ${n} cycle${n === 1 ? '' : 's'} of traced and untraced rounds (${MIN_CYCLES} needed, ${MIN_CYCLES * CYCLE_SLICES * 50} ms of measuring)`);
  if (pooledCostUs <= 0) return out(`the measured cost (${pooledCostUs} µs/read) is not above zero: it could not be separated from run-to-run noise`);
  if (se === null || se > MAX_RELATIVE_SE * pooledCostUs) {
    return out(`the cost (${pooledCostUs} µs/read) varies too much between cycles (standard error ${se} µs): it could not be separated from run-to-run noise`);
  }
  return { applied: true, perIoUs: pooledCostUs, cycleCostsUs, standardErrorUs: se };
}

export type KernelClockReport =
  | ({
      available: true;
      clock: typeof TRACE_CLOCK;
      method: string;
      instance: string;
      /** Reads issued while the events were on: every one must be in `reads` unless events were lost. */
      readsIssued: number;
      lostEvents: number;
      /** Reads issued but not joined (a lost entry or exit): counted, never silently dropped. */
      unmatched: number;
      /**
       * Which slices `total` comes from: 'syscall-events' (only the syscall's entry and exit
       * traced, the headline) or 'all-events' (no syscall-only slice ran). Absent in older documents.
       */
      totalFrom?: 'syscall-events' | 'all-events';
      /** Reads in `total`. */
      totalReads?: number;
      /** Reads timed in the slices with every event on (the phases cover those with block events). */
      phaseSliceReads?: number;
      /** Why there are no per-phase figures (target without block events), if so. */
      noPhasesReason?: string;
      /** Events this kernel lacks that only refine the answer. */
      missingOptional: string[];
      /** Raw minus kernel time per read: nvprobe's FFI call, clock reads, syscall entry/exit. */
      outsideSyscall: LatencySummary | null;
      overhead: TracingOverhead;
      /**
       * `total` with tracing's own cost taken off every read (its p50 is the headline when present);
       * `total` stays the figure as traced. Absent when the cost could not be separated from noise.
       */
      correctedTotal?: PhaseStats;
      /** Whether and why (not) `correctedTotal` exists. Absent in older documents. */
      correction?: TracingCorrection;
      /** Leftover instances of dead nvprobe processes removed at start. */
      removedLeftovers: string[];
    } & ReadStats)
  | { available: false; reason: string };

/** Joins, per slice and at the end, everything the instance buffered. */
export class ProbeTracer {
  private readonly instance: TraceInstance;
  private readonly decoder: IoEventDecoder;
  private readonly joiner: ReadJoiner;
  private readonly idleTraced: boolean;
  private readonly batch: IoEvent[] = [];
  private readonly sliceModes: SliceMode[] = [];
  /** Joined reads [from, to) per mode: the reads of each slice, in order. */
  private readonly ranges: Record<'syscall' | 'all', Array<[number, number]>> = { syscall: [], all: [] };
  private mode: SliceMode = 'off';
  private drainMs = 0;
  private failure: string | null = null;
  private finished = false;

  private constructor(
    instance: TraceInstance,
    kinds: Map<string, IoEventKind>,
    private readonly spec: ReadTraceSpec,
  ) {
    this.instance = instance;
    this.decoder = new IoEventDecoder(instance.events, kinds);
    this.idleTraced = !instance.missingOptional.includes('power:cpu_idle');
    this.joiner = new ReadJoiner(this.idleTraced);
  }

  /** Set up the instance with its events off; throws TraceUnavailable with the reason in one line. */
  static open(spec: ReadTraceSpec, opts: { bufferKb?: number } = {}): ProbeTracer {
    const specs = ioEventSpecs(spec);
    const instance = TraceInstance.create({ events: specs, bufferKb: opts.bufferKb ?? BUFFER_KB });
    try {
      return new ProbeTracer(instance, new Map(specs.map((s) => [`${s.system}:${s.name}`, s.kind])), spec);
    } catch (err) {
      instance.close();
      throw err instanceof TraceUnavailable ? err : new TraceUnavailable((err as Error).message);
    }
  }

  get instanceName(): string {
    return this.instance.name;
  }

  /** The QD1 loop's hook: drain what the last slice left, then switch events for the next one. */
  readonly beforeSlice = (slice: number): void => {
    if (this.failure) return;
    try {
      this.drain();
      const mode = sliceMode(slice);
      this.sliceModes[slice] = mode;
      this.switchTo(mode);
    } catch (err) {
      // The instance went away under us (someone removed it or unmounted tracefs): the run goes
      // on untraced and the report says why, instead of the whole probe failing.
      this.failure = `kernel tracing stopped mid-run: ${(err as Error).message}`;
      try {
        this.instance.setEnabled(false);
      } catch {
        // gone already
      }
    }
  };

  /** Events for arbitrary code (tests, fio): all on until `finish`. */
  start(): void {
    this.drain();
    this.switchTo('all');
  }

  private switchTo(mode: SliceMode): void {
    this.instance.enableOnly((e) => mode === 'all' || (mode === 'syscall' && e.system === 'syscalls'));
    this.mode = mode;
  }

  /** Read and join what is buffered now (another process's reads: call it often enough that buffers never fill). */
  drainNow(): void {
    this.drain();
  }

  /** Stop, drain, join; then the instance is removed. `samplesNs`/`sliceStarts` from the loop, if it ran one. */
  finish(loop?: { samplesNs: Float64Array; sliceStarts: number[] }): KernelClockReport {
    if (this.finished) throw new Error('ProbeTracer.finish called twice');
    this.finished = true;
    try {
      if (this.failure) return { available: false, reason: this.failure };
      this.instance.setEnabled(false);
      this.drain();
      this.mode = 'off';
      return this.report(loop);
    } finally {
      this.instance.close();
    }
  }

  close(): void {
    this.instance.close();
  }

  private drain(): void {
    const t0 = performance.now();
    const before = this.joiner.reads.n;
    this.instance.drain((cpu, ts, view, at, len) => {
      const e = this.decoder.decode(cpu, ts, view, at, len);
      if (e) this.batch.push(e);
    });
    if (this.batch.length > 0) {
      // Per-CPU streams are in order; across CPUs, sort (stable: same-ns events keep their CPU order).
      this.batch.sort((a, b) => a.tsNs - b.tsNs);
      for (const e of this.batch) this.joiner.push(e);
      this.batch.length = 0;
    }
    // QD1 and drained between slices: what joined now was read in the slice that just ended.
    const after = this.joiner.reads.n;
    if (after > before) this.ranges[this.mode === 'syscall' ? 'syscall' : 'all'].push([before, after]);
    this.drainMs += performance.now() - t0;
  }

  /** Per complete cycle with enough reads both sides: p50 of its `mode` slices minus p50 of its untraced slices (µs). */
  private cycleCosts(samplesNs: Float64Array, sliceStarts: number[], mode: SliceMode): number[] {
    const cycles = new Map<number, { on: number[]; off: number[] }>();
    for (let s = 0; s < sliceStarts.length; s++) {
      const m = this.sliceModes[s] ?? 'off';
      if (m !== mode && m !== 'off') continue;
      const c = Math.floor(s / CYCLE_SLICES);
      let cyc = cycles.get(c);
      if (!cyc) cycles.set(c, (cyc = { on: [], off: [] }));
      const into = m === 'off' ? cyc.off : cyc.on;
      const end = s + 1 < sliceStarts.length ? sliceStarts[s + 1]! : samplesNs.length;
      for (let i = sliceStarts[s]!; i < end; i++) into.push(samplesNs[i]!);
    }
    const out: number[] = [];
    for (const { on, off } of cycles.values()) {
      if (on.length >= MIN_CYCLE_READS && off.length >= MIN_CYCLE_READS) out.push(round3((median(on) - median(off)) / 1000));
    }
    return out;
  }

  private report(loop?: { samplesNs: Float64Array; sliceStarts: number[] }): KernelClockReport {
    const reads = this.joiner.reads;
    const syscallReads = selectReads(reads, this.ranges.syscall);
    const phaseReads = selectReads(reads, this.ranges.all);
    const phased = readStats(phaseReads, this.idleTraced);
    const headline = syscallReads.n > 0 ? readStats(syscallReads, this.idleTraced) : phased;
    const lostEvents = this.instance.lostEvents();
    let readsIssued = reads.n;
    let outside: LatencySummary | null = null;
    let cycleCosts: number[] = [];
    const overhead: TracingOverhead = { perIoUs: null, tracedP50Us: null, untracedP50Us: null, tracedReads: reads.n, untracedReads: 0, drainMs: round3(this.drainMs) };
    if (loop) {
      const by: Record<SliceMode, number[]> = { off: [], syscall: [], all: [] };
      const { samplesNs, sliceStarts } = loop;
      for (let s = 0; s < sliceStarts.length; s++) {
        const end = s + 1 < sliceStarts.length ? sliceStarts[s + 1]! : samplesNs.length;
        const into = by[this.sliceModes[s] ?? 'off'];
        for (let i = sliceStarts[s]!; i < end; i++) into.push(samplesNs[i]!);
      }
      const headlineMode: SliceMode = syscallReads.n > 0 ? 'syscall' : 'all';
      const headlineSamples = by[headlineMode];
      cycleCosts = this.cycleCosts(samplesNs, sliceStarts, headlineMode);
      readsIssued = by.syscall.length + by.all.length;
      overhead.tracedReads = headlineSamples.length;
      overhead.untracedReads = by.off.length;
      const p50 = (xs: number[]) => (xs.length > 0 ? round3(median(xs) / 1000) : null);
      overhead.tracedP50Us = p50(headlineSamples);
      overhead.untracedP50Us = p50(by.off);
      const cost = (on: number | null) => (on !== null && overhead.untracedP50Us !== null ? round3(on - overhead.untracedP50Us) : null);
      overhead.perIoUs = cost(overhead.tracedP50Us);
      const allP50 = p50(by.all);
      overhead.phaseSlices = { perIoUs: cost(allP50), p50Us: allP50, reads: by.all.length };
      if (overhead.perIoUs === null) overhead.note = `the run was too short for a round with tracing off (${SLICES_PER_ROUND * OFF_EVERY * 50} ms needed)`;
      outside = outsideSyscall(Float64Array.from(headlineSamples), syscallReads.n > 0 ? syscallReads : phaseReads);
    }
    if (!headline) {
      return { available: false, reason: `no read was seen by the kernel tracer (${readsIssued} issued, ${lostEvents} events lost)` };
    }
    const correction = tracingCorrection(overhead.perIoUs, cycleCosts);
    const correctedTotal = correction.applied ? shiftedTotal(syscallReads.n > 0 ? syscallReads : phaseReads, correction.perIoUs! * 1000) : null;
    const phaseStats = phased ?? { withPhases: 0, phases: null, idleCompletions: 0, wokeFromIdle: null };
    return {
      available: true,
      clock: TRACE_CLOCK,
      method: KERNEL_CLOCK_METHOD,
      instance: this.instance.name,
      readsIssued,
      lostEvents,
      unmatched: Math.max(0, readsIssued - reads.n),
      totalFrom: syscallReads.n > 0 ? 'syscall-events' : 'all-events',
      totalReads: headline.reads,
      phaseSliceReads: phaseReads.n,
      ...(this.spec.devs.length === 0
        ? { noPhasesReason: 'the target is not on a block device (tmpfs, overlay or the like): no block events, only the syscall is timed' }
        : phaseReads.n === 0
          ? { noPhasesReason: 'the run was too short for a slice with every event on' }
          : phaseStats.withPhases === 0
            ? { noPhasesReason: "no block event of the reads' own sectors was seen on the target's device" }
            : {}),
      missingOptional: this.instance.missingOptional,
      outsideSyscall: outside,
      overhead,
      ...(correctedTotal ? { correctedTotal } : {}),
      correction,
      removedLeftovers: this.instance.removedLeftovers,
      reads: reads.n,
      total: headline.total,
      withPhases: phaseStats.withPhases,
      phases: phaseStats.phases,
      idleCompletions: phaseStats.idleCompletions,
      wokeFromIdle: phaseStats.wokeFromIdle,
      migrated: (phased?.migrated ?? 0) + (syscallReads.n > 0 ? (headline.migrated ?? 0) : 0),
    };
  }
}

import { median } from 'simple-statistics';
import { round3, type LatencySummary } from '../measure/summary.js';
import { TraceInstance, TraceUnavailable, TRACE_CLOCK } from './instance.js';
import { ioEventSpecs, IoEventDecoder, type IoEvent, type IoEventKind, type ReadTraceSpec } from './io-events.js';
import { outsideSyscall, readStats, type ReadStats } from './phase-stats.js';
import { ReadJoiner } from './read-joiner.js';

/** Slices (50 ms each) per tracing round; every OFF_EVERY-th round runs with the events off. */
const SLICES_PER_ROUND = 4;
const OFF_EVERY = 4;
const BUFFER_KB = 8192;

export const KERNEL_CLOCK_METHOD =
  `a private ftrace instance (trace_clock ${TRACE_CLOCK}, ns), per-CPU binary ring buffers read between 50 ms slices of the run; ` +
  'syscall entry → exit of the probe thread, request issue/complete (bio queue/complete on bio-based devices) of the read\'s own sector; ' +
  `every ${OFF_EVERY}th round of ${SLICES_PER_ROUND} slices runs with the events off to measure tracing's own cost`;

export interface TracingOverhead {
  /** Process-timed median with events on minus with events off; null when the run had no off round. */
  perIoUs: number | null;
  tracedP50Us: number | null;
  untracedP50Us: number | null;
  tracedReads: number;
  untracedReads: number;
  /** Time spent reading and decoding the buffers between slices (not counted as measuring time). */
  drainMs: number;
  note?: string;
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
      /** Why there are no per-phase figures (target without block events), if so. */
      noPhasesReason?: string;
      /** Events this kernel lacks that only refine the answer. */
      missingOptional: string[];
      /** Raw minus kernel time per read: nvprobe's FFI call, clock reads, syscall entry/exit. */
      outsideSyscall: LatencySummary | null;
      overhead: TracingOverhead;
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
  private readonly tracedSlices: boolean[] = [];
  private drainMs = 0;
  private finished = false;

  private constructor(instance: TraceInstance, kinds: Map<string, IoEventKind>, private readonly spec: ReadTraceSpec) {
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
    this.drain();
    const on = Math.floor(slice / SLICES_PER_ROUND) % OFF_EVERY !== OFF_EVERY - 1;
    this.tracedSlices[slice] = on;
    this.instance.setEnabled(on);
  };

  /** Events for arbitrary code (tests, fio): on until `finish`. */
  start(): void {
    this.instance.setEnabled(true);
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
      this.instance.setEnabled(false);
      this.drain();
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
    this.drainMs += performance.now() - t0;
  }

  private report(loop?: { samplesNs: Float64Array; sliceStarts: number[] }): KernelClockReport {
    const reads = this.joiner.reads;
    const stats = readStats(reads, this.idleTraced);
    const lostEvents = this.instance.lostEvents();
    let readsIssued = reads.n;
    let tracedSamples: Float64Array | null = null;
    const overhead: TracingOverhead = { perIoUs: null, tracedP50Us: null, untracedP50Us: null, tracedReads: reads.n, untracedReads: 0, drainMs: round3(this.drainMs) };
    if (loop) {
      const on: number[] = [];
      const off: number[] = [];
      const { samplesNs, sliceStarts } = loop;
      for (let s = 0; s < sliceStarts.length; s++) {
        const end = s + 1 < sliceStarts.length ? sliceStarts[s + 1]! : samplesNs.length;
        const into = this.tracedSlices[s] ? on : off;
        for (let i = sliceStarts[s]!; i < end; i++) into.push(samplesNs[i]!);
      }
      readsIssued = on.length;
      tracedSamples = Float64Array.from(on);
      overhead.tracedReads = on.length;
      overhead.untracedReads = off.length;
      if (on.length > 0) overhead.tracedP50Us = round3(median(on) / 1000);
      if (off.length > 0) overhead.untracedP50Us = round3(median(off) / 1000);
      if (overhead.tracedP50Us !== null && overhead.untracedP50Us !== null) overhead.perIoUs = round3(overhead.tracedP50Us - overhead.untracedP50Us);
      else overhead.note = `the run was too short for a round with tracing off (${SLICES_PER_ROUND * OFF_EVERY * 50} ms needed)`;
    }
    if (!stats) {
      return { available: false, reason: `no read was seen by the kernel tracer (${readsIssued} issued, ${lostEvents} events lost)` };
    }
    return {
      available: true,
      clock: TRACE_CLOCK,
      method: KERNEL_CLOCK_METHOD,
      instance: this.instance.name,
      readsIssued,
      lostEvents,
      unmatched: Math.max(0, readsIssued - stats.reads),
      ...(this.spec.devs.length === 0 ? { noPhasesReason: 'the target is not on a block device (tmpfs, overlay or the like): no block events, only the syscall is timed' } : stats.withPhases === 0 ? { noPhasesReason: 'no block event of the reads\' own sectors was seen on the target\'s device' } : {}),
      missingOptional: this.instance.missingOptional,
      outsideSyscall: tracedSamples ? outsideSyscall(tracedSamples, reads) : null,
      overhead,
      removedLeftovers: this.instance.removedLeftovers,
      ...stats,
    };
  }
}

import { median, quantileSorted } from 'simple-statistics';
import { medianHalfWidth, round3 } from '../stats/summary.js';
import { TraceInstance, TraceUnavailable } from './instance.js';
import { ioEventSpecs, IoEventDecoder, type IoEvent, type IoEventKind, type ReadTraceSpec } from './io-events.js';
import { outsideSyscall, readStats, selectReads, shiftedTotal } from './phase-stats.js';
import { ReadJoiner } from './read-joiner.js';
import type { LatencySummary } from '../contracts/latency-stats.js';
import { TRACE_CLOCK, type KernelClockReport, type TracingOverhead, type NativeEstimate } from '../contracts/probe-kernel-clock.js';

/** Slices (50 ms each) per tracing round; every OFF_EVERY-th round runs with the events off. */
const SLICES_PER_ROUND = 4;
const OFF_EVERY = 4;
const BUFFER_KB = 8192;

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

/** The engine's calls the native estimate needs, run by the tracer right after the read loop. */
export interface BoundaryCalls {
  /** The engine's empty call (same syscall, nothing to transfer). */
  empty: () => void;
  /** Process-timed boundary with events off: median empty − median no-kernel call, and its half-width (µs). */
  untraced: () => { boundaryUs: number; ciUs: number };
}

const EMPTY_CALLS = 3000;

export const NATIVE_METHOD =
  "each read's sys_enter → sys_exit on the kernel clock, plus the syscall boundary (the engine's empty call timed by the process with events off, " +
  "beyond a call that does not enter the kernel), minus tracing's in-window cost (the same empty call's sys_enter → sys_exit with the syscall events on); " +
  `${EMPTY_CALLS} empty calls each side, right after the reads`;

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
  finish(loop?: { samplesNs: Float64Array; sliceStarts: number[] }, boundary?: BoundaryCalls): KernelClockReport {
    if (this.finished) throw new Error('ProbeTracer.finish called twice');
    this.finished = true;
    try {
      if (this.failure) return { available: false, reason: this.failure };
      this.instance.setEnabled(false);
      this.drain();
      this.mode = 'off';
      const parts = boundary ? this.boundaryParts(boundary) : null;
      return this.report(loop, parts);
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

  /**
   * The two corrections of the native estimate, with the read loop's events drained and off:
   * the empty call untraced (process clock), then traced with the syscall events only.
   */
  private boundaryParts(b: BoundaryCalls): { boundaryUs: number; boundaryCiUs: number; windowsNs: Float64Array } | string {
    const untraced = b.untraced();
    this.instance.enableOnly((e) => e.system === 'syscalls');
    try {
      for (let i = 0; i < EMPTY_CALLS; i++) b.empty();
    } finally {
      this.instance.setEnabled(false);
    }
    const events: IoEvent[] = [];
    this.instance.drain((cpu, ts, view, at, len) => {
      const e = this.decoder.decode(cpu, ts, view, at, len);
      if (e && (e.kind === 'enter' || e.kind === 'exit')) events.push(e);
    });
    events.sort((a, b2) => a.tsNs - b2.tsNs);
    // One thread, one call at a time: each entry is followed by its exit (returning 0: nothing read).
    const windows: number[] = [];
    for (let i = 0; i + 1 < events.length; i++) {
      const a = events[i]!;
      const z = events[i + 1]!;
      if (a.kind === 'enter' && z.kind === 'exit' && a.pid === z.pid && z.value === 0) {
        windows.push(z.tsNs - a.tsNs);
        i++;
      }
    }
    if (windows.length < EMPTY_CALLS / 2) return `only ${windows.length} of ${EMPTY_CALLS} traced empty calls were seen (${this.instance.lostEvents()} events lost)`;
    return { boundaryUs: untraced.boundaryUs, boundaryCiUs: untraced.ciUs, windowsNs: Float64Array.from(windows).sort() };
  }

  private report(loop?: { samplesNs: Float64Array; sliceStarts: number[] }, parts?: ReturnType<ProbeTracer['boundaryParts']> | null): KernelClockReport {
    const reads = this.joiner.reads;
    const syscallReads = selectReads(reads, this.ranges.syscall);
    const phaseReads = selectReads(reads, this.ranges.all);
    const phased = readStats(phaseReads, this.idleTraced);
    const headline = syscallReads.n > 0 ? readStats(syscallReads, this.idleTraced) : phased;
    const lostEvents = this.instance.lostEvents();
    let readsIssued = reads.n;
    let outside: LatencySummary | null = null;
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
    const totalReads = syscallReads.n > 0 ? syscallReads : phaseReads;
    let native: NativeEstimate | undefined;
    let nativeReason: string | undefined;
    if (!parts) nativeReason = 'the boundary and in-window calls were not run';
    else if (typeof parts === 'string') nativeReason = parts;
    else {
      const inWindowUs = round3(quantileSorted(Array.from(parts.windowsNs), 0.5) / 1000);
      const inWindowCiUs = round3(medianHalfWidth(parts.windowsNs) / 1000);
      const shiftUs = round3(parts.boundaryUs - inWindowUs);
      native = {
        method: NATIVE_METHOD,
        windowP50Us: headline.total.latency.percentilesUs.p50,
        boundaryUs: parts.boundaryUs,
        boundaryCiUs: parts.boundaryCiUs,
        inWindowUs,
        inWindowCiUs,
        calls: EMPTY_CALLS,
        shiftUs,
        uncertaintyUs: round3(Math.hypot(parts.boundaryCiUs, inWindowCiUs)),
        total: shiftedTotal(totalReads, -shiftUs * 1000),
      };
    }
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
      ...(native ? { native } : { nativeReason }),
      removedLeftovers: this.instance.removedLeftovers,
      reads: reads.n,
      total: headline.total,
      withPhases: phaseStats.withPhases,
      phases: phaseStats.phases,
      idleCompletions: phaseStats.idleCompletions,
      wokeFromIdle: phaseStats.wokeFromIdle,
      migrated: (phased?.migrated ?? 0) + (syscallReads.n > 0 ? (headline.migrated ?? 0) : 0),
      placement: phased?.placement ?? null,
    };
  }
}

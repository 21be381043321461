import { performance } from 'node:perf_hooks';
import type { IoEngine } from '../io/engine.js';
import type { RandomOffsets } from './offsets.js';

export type LoopPhase = 'ramp' | 'measure';

export interface LoopProgress {
  phase: LoopPhase;
  ios: number;
  elapsedMs: number;
}

export interface LoopOptions {
  engine: IoEngine;
  offsets: RandomOffsets;
  /** Warm-up time whose I/Os are dropped. */
  rampMs: number;
  /** Stop after this long, or after `ios` I/Os, whichever is given (both: first reached). */
  durationMs?: number;
  ios?: number;
  /** Return to the event loop this often, so progress, signals and timers run between I/Os. */
  sliceMs?: number;
  onProgress?: (p: LoopProgress) => void;
  signal?: AbortSignal;
  /**
   * Every this many I/Os, right after a read completes, time one `noop()` too: the FFI cost in
   * the state the CPU is really in after an I/O wake-up (caches and predictors disturbed by the
   * idle period), which a tight calibration loop cannot see. 0 turns it off.
   */
  inSituEvery?: number;
  /**
   * Called before each measured slice starts (outside the timed region, no read in flight):
   * where a kernel tracer switches its events and drains its buffers.
   */
  beforeSlice?: (slice: number) => void;
  /** Runs once when the ramp is over, right before the first measured read (outside the timed region). */
  onMeasureStart?: () => void;
}

export interface LoopResult {
  /** Per-I/O latency in ns, in issue order. */
  samplesNs: Float64Array;
  /** Wall time of the measured phase (excluding ramp), ms. */
  wallMs: number;
  rampIos: number;
  aborted: boolean;
  /** In-situ no-I/O call timings (ns), see `inSituEvery`. */
  inSituNoopNs: Float64Array;
  /** Index in `samplesNs` of each measured slice's first read, slice by slice. */
  sliceStarts: number[];
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The queue-depth-1 loop: one read, wait for it, next. Only the read call sits between the two
 * clock reads; offsets are drawn before the first clock read.
 */
export async function runQd1(opts: LoopOptions): Promise<LoopResult> {
  const { engine, offsets } = opts;
  if (opts.durationMs === undefined && opts.ios === undefined) throw new Error('runQd1 needs durationMs or ios');
  const sliceMs = opts.sliceMs ?? 50;
  const now = performance.now.bind(performance);

  // Ramp: same work, results dropped.
  let rampIos = 0;
  const rampStart = now();
  while (now() - rampStart < opts.rampMs) {
    const sliceEnd = now() + sliceMs;
    let t = 0;
    do {
      engine.read(offsets.next());
      rampIos++;
      t = now();
    } while (t < sliceEnd && t - rampStart < opts.rampMs);
    opts.onProgress?.({ phase: 'ramp', ios: rampIos, elapsedMs: t - rampStart });
    await yieldToEventLoop();
    if (opts.signal?.aborted) return { samplesNs: new Float64Array(0), wallMs: 0, rampIos, aborted: true, inSituNoopNs: new Float64Array(0), sliceStarts: [] };
  }

  const maxIos = opts.ios ?? Infinity;
  let samples: Float64Array = new Float64Array(Number.isFinite(maxIos) ? maxIos : 1 << 16);
  let n = 0;
  let activeMs = 0;
  opts.onMeasureStart?.();
  const start = now();
  let deadline = opts.durationMs === undefined ? Infinity : start + opts.durationMs;
  let aborted = false;
  const every = opts.inSituEvery ?? 0;
  let inSitu: Float64Array = new Float64Array(1024);
  let m = 0;
  let countdown = every;
  let inSituMs = 0;
  const sliceStarts: number[] = [];
  while (n < maxIos) {
    if (opts.beforeSlice) {
      const h0 = now();
      opts.beforeSlice(sliceStarts.length);
      deadline += now() - h0; // the hook's time is not measuring time
    }
    sliceStarts.push(n);
    const sliceStart = now();
    const sliceEnd = sliceStart + sliceMs;
    let t1 = sliceStart;
    while (n < maxIos) {
      const offset = offsets.next();
      const t0 = now();
      engine.read(offset);
      t1 = now();
      if (n === samples.length) samples = grow(samples);
      samples[n++] = (t1 - t0) * 1e6;
      if (every > 0 && --countdown === 0) {
        countdown = every;
        const c0 = now();
        engine.noop();
        const c1 = now();
        if (m === inSitu.length) inSitu = grow(inSitu);
        inSitu[m++] = (c1 - c0) * 1e6;
        inSituMs += c1 - t1;
        t1 = c1;
      }
      if (t1 >= sliceEnd || t1 >= deadline) break;
    }
    // Time spent yielding or timing in-situ calibration calls is not the device's.
    activeMs += t1 - sliceStart;
    if (t1 >= deadline) break;
    opts.onProgress?.({ phase: 'measure', ios: n, elapsedMs: now() - start });
    await yieldToEventLoop();
    if (opts.signal?.aborted) {
      aborted = true;
      break;
    }
  }
  return { samplesNs: samples.subarray(0, n), wallMs: activeMs - inSituMs, rampIos, aborted, inSituNoopNs: inSitu.subarray(0, m), sliceStarts };
}

function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

import { performance } from 'node:perf_hooks';
import { quantileSorted } from 'simple-statistics';
import type { IoEngine } from '../io/engine.js';
import { round3 } from './summary.js';

export interface Calibration {
  /** Median cost, µs, of the engine's no-I/O call timed exactly like a read: FFI + clock. */
  ffiUs: number;
  ffiP10Us: number;
  ffiP90Us: number;
  /** Median cost, µs, of the same syscall with nothing to transfer, beyond `ffiUs`. */
  emptySyscallUs: number;
  calls: number;
}

function timeCalls(fn: () => void, calls: number, out: Float64Array): number[] {
  const now = performance.now.bind(performance);
  for (let i = 0; i < calls; i++) {
    const t0 = now();
    fn();
    out[i] = (now() - t0) * 1000;
  }
  return Array.from(out.subarray(0, calls)).sort((a, b) => a - b);
}

/**
 * Measure what nvprobe itself adds to each timed read: the ffi-rs call and the two clock reads.
 * The no-I/O call has the read's exact argument list, so the only difference left is the kernel.
 */
export function calibrate(engine: IoEngine, calls = 3000): Calibration {
  const buf = new Float64Array(calls);
  timeCalls(() => engine.noop(), Math.min(500, calls), buf); // JIT and caches warm
  const noop = timeCalls(() => engine.noop(), calls, buf);
  const empty = timeCalls(() => engine.emptySyscall(), calls, buf);
  const ffiUs = quantileSorted(noop, 0.5);
  return {
    ffiUs: round3(ffiUs),
    ffiP10Us: round3(quantileSorted(noop, 0.1)),
    ffiP90Us: round3(quantileSorted(noop, 0.9)),
    emptySyscallUs: round3(Math.max(0, quantileSorted(empty, 0.5) - ffiUs)),
    calls,
  };
}

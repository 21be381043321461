import { performance } from 'node:perf_hooks';
import { quantileSorted } from 'simple-statistics';
import type { IoEngine } from '../io/engine.js';
import { medianHalfWidth, round3 } from '../stats/summary.js';
import type { Calibration } from '../contracts/probe-measurement.js';

/** Time `calls` calls of `a` and of `b`, alternating (a drift of the machine hits both alike); each sorted, µs. */
function timeAlternating(a: () => void, b: () => void, calls: number): [number[], number[]] {
  const now = performance.now.bind(performance);
  const ta = new Float64Array(calls);
  const tb = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    let t0 = now();
    a();
    ta[i] = (now() - t0) * 1000;
    t0 = now();
    b();
    tb[i] = (now() - t0) * 1000;
  }
  return [Array.from(ta).sort((x, y) => x - y), Array.from(tb).sort((x, y) => x - y)];
}

/**
 * Measure what nvprobe itself adds to each timed read: the ffi-rs call and the two clock reads.
 * The no-I/O call has the read's exact argument list, so the only difference left is the kernel.
 */
export function calibrate(engine: IoEngine, calls = 3000): Calibration {
  timeAlternating(
    () => engine.noop(),
    () => engine.emptySyscall(),
    Math.min(500, calls),
  ); // JIT and caches warm
  const [noop, empty] = timeAlternating(
    () => engine.noop(),
    () => engine.emptySyscall(),
    calls,
  );
  const ffiUs = quantileSorted(noop, 0.5);
  const ci = Math.hypot(medianHalfWidth(noop), medianHalfWidth(empty));
  return {
    ffiUs: round3(ffiUs),
    ffiP10Us: round3(quantileSorted(noop, 0.1)),
    ffiP90Us: round3(quantileSorted(noop, 0.9)),
    emptySyscallUs: round3(Math.max(0, quantileSorted(empty, 0.5) - ffiUs)),
    emptySyscallCiUs: round3(ci),
    calls,
  };
}

/**
 * The engine's calls the kernel tracer needs for its native estimate (trace/probe-tracer.ts): the
 * empty call, and its process-timed cost beyond the no-kernel call (the syscall boundary).
 */
export function boundaryCalls(engine: IoEngine): { empty: () => void; untraced: () => { boundaryUs: number; ciUs: number } } {
  return {
    empty: () => engine.emptySyscall(),
    untraced: () => {
      const c = calibrate(engine);
      return { boundaryUs: c.emptySyscallUs, ciUs: c.emptySyscallCiUs ?? 0 };
    },
  };
}

import { boundaryCalls } from '../measure/calibrate.js';
import { runProbe, type ProbeRunOptions } from '../measure/probe-run.js';
import type { ProbeMeasurement } from '../contracts/probe-measurement.js';
import { TraceUnavailable } from './instance.js';
import type { ReadTraceSpec } from './io-events.js';
import { ProbeTracer } from './probe-tracer.js';
import type { KernelClockReport } from '../contracts/probe-kernel-clock.js';

/**
 * One measurement with the kernel tracer on (its slices as `probe` runs them): the process-timed
 * figures and the kernel clock's, phases included. Tracing that cannot run, or fails while the
 * buffers are read, becomes the report's reason; the measurement itself still stands.
 */
export async function tracedProbe(opts: Omit<ProbeRunOptions, 'beforeSlice' | 'onSamples'>, spec: ReadTraceSpec): Promise<{ measurement: ProbeMeasurement; kernelClock: KernelClockReport }> {
  let tracer: ProbeTracer | null = null;
  let kernelClock: KernelClockReport | null = null;
  try {
    tracer = ProbeTracer.open(spec);
  } catch (err) {
    if (!(err instanceof TraceUnavailable)) throw err;
    kernelClock = { available: false, reason: err.message };
  }
  try {
    const t = tracer;
    const measurement = await runProbe({
      ...opts,
      ...(t
        ? {
            beforeSlice: t.beforeSlice,
            onSamples: (loop: { samplesNs: Float64Array; sliceStarts: number[] }) => {
              try {
                kernelClock = t.finish(loop, boundaryCalls(opts.engine));
              } catch (err) {
                kernelClock = { available: false, reason: `kernel tracing failed while reading its buffers: ${(err as Error).message}` };
              }
            },
          }
        : {}),
    });
    return { measurement, kernelClock: kernelClock ?? { available: false, reason: 'no read was measured' } };
  } finally {
    tracer?.close();
  }
}

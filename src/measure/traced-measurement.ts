import type { EngineDescriptor } from '../io/engine.js';
import type { Root } from '../host/root.js';
import { TraceUnavailable } from '../trace/instance.js';
import { traceDevices } from '../trace/target-devices.js';
import type { ReadTraceSpec } from '../trace/io-events.js';
import { ProbeTracer } from '../trace/probe-tracer.js';
import { boundaryCalls } from './calibrate.js';
import { runProbe, type ProbeRunOptions } from './probe-run.js';
import type { KernelClockReport } from '../contracts/probe-kernel-clock.js';
import type { ProbeMeasurement, ProbeTarget } from '../contracts/probe-measurement.js';

export interface TracedMeasurement {
  measurement: ProbeMeasurement;
  kernelClock: KernelClockReport;
}

/** The kernel clock's answer when the user turned tracing off. */
export const TRACING_TURNED_OFF: KernelClockReport = { available: false, reason: 'turned off (--no-trace)' };

/**
 * One measurement with the kernel tracer on (its slices as `probe` runs them): the process-timed
 * figures and the kernel clock's, phases included. `probe` and `tune` both measure through here,
 * so tracing's failures are handled once: tracing that cannot run, or fails while the buffers are
 * read, becomes the report's reason; the measurement itself still stands. `trace` null: tracing off.
 */
export async function tracedProbe(opts: Omit<ProbeRunOptions, 'beforeSlice' | 'onSamples'>, trace: ReadTraceSpec | null): Promise<TracedMeasurement> {
  let tracer: ProbeTracer | null = null;
  let kernelClock: KernelClockReport | null = trace === null ? TRACING_TURNED_OFF : null;
  if (trace !== null) {
    try {
      tracer = ProbeTracer.open(trace);
    } catch (err) {
      if (!(err instanceof TraceUnavailable)) throw err;
      kernelClock = { available: false, reason: err.message };
    }
  }
  try {
    const t = tracer;
    const measurement = await runProbe({
      ...opts,
      ...(t
        ? {
            beforeSlice: t.beforeSlice,
            // Right after the loop: the events go off before the closing calibration's empty syscalls.
            onSamples: (loop: { samplesNs: Float64Array; sliceStarts: number[] }) => {
              kernelClock = finishTrace(t, loop, opts);
              tracer = null;
            },
          }
        : {}),
    });
    return { measurement, kernelClock: kernelClock ?? { available: false, reason: 'no read was measured' } };
  } finally {
    tracer?.close();
  }
}

/**
 * The probe thread's reads of `target` on the syscall its engine enters (from the descriptor): what
 * the kernel tracer follows. An engine that enters none (the null engine) is traced as preadv2, and
 * its report says no read was seen.
 */
export function probeTraceSpec(root: Root, target: Pick<ProbeTarget, 'path' | 'disk'>, engine: EngineDescriptor): ReadTraceSpec {
  return { syscall: engine.syscall ?? 'preadv2', who: { pid: process.pid }, devs: traceDevices(root, target.path, target.disk) };
}

/** The tracer's report; a failure while reading the buffers becomes the reason, never the run's failure. */
function finishTrace(tracer: ProbeTracer, loop: { samplesNs: Float64Array; sliceStarts: number[] }, opts: Pick<ProbeRunOptions, 'engine'>): KernelClockReport {
  try {
    return tracer.finish(loop, boundaryCalls(opts.engine));
  } catch (err) {
    return { available: false, reason: `kernel tracing failed while reading its buffers: ${(err as Error).message}` };
  }
}

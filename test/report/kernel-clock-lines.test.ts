// The clock lines of `probe` text say which series is the headline and how it is made.
import { describe, expect, it } from 'vitest';
import { kernelClockLines } from '../../src/report/kernel-clock-text.js';

const summary = { count: 100, minUs: 1, maxUs: 2, meanUs: 1, stdevUs: 0, percentilesUs: { p1: 1, p5: 1, p10: 1, p50: 1, p90: 1, p95: 1, p99: 1, 'p99.9': 1, 'p99.99': 1 } };
const base = {
  available: true as const,
  clock: 'mono' as const,
  method: '',
  instance: 'nvprobe-1',
  readsIssued: 100,
  lostEvents: 0,
  unmatched: 0,
  missingOptional: [],
  outsideSyscall: null,
  overhead: { perIoUs: -3.25, tracedP50Us: 1, untracedP50Us: 4.25, tracedReads: 100, untracedReads: 30, drainMs: 1 },
  removedLeftovers: [],
  reads: 100,
  total: { latency: summary, histogram: {} },
  withPhases: 0,
  phases: null,
  idleCompletions: 0,
  wokeFromIdle: null,
  migrated: 0,
};
type Report = Parameters<typeof kernelClockLines>[0];

describe('kernel clock lines', () => {
  it('state the native estimate with its parts and their intervals', () => {
    const native = {
      method: '',
      windowP50Us: 2.07,
      boundaryUs: 0.45,
      boundaryCiUs: 0.01,
      inWindowUs: 0.15,
      inWindowCiUs: 0.002,
      calls: 3000,
      shiftUs: 0.3,
      uncertaintyUs: 0.01,
      total: { latency: { ...summary, percentilesUs: { ...summary.percentilesUs, p50: 2.37 } }, histogram: {} },
    };
    const text = kernelClockLines({ ...base, native } as unknown as Report).join('\n');
    expect(text).toContain(
      "headline  native estimate p50 2.37 µs (± 0.01) = kernel window p50 2.07 + syscall boundary 0.45 (± 0.01) − tracing's in-window cost 0.15 (± 0.00), measured with 3000 empty calls each",
    );
  });

  it('say why there is no native estimate, and that the process clock leads instead', () => {
    const text = kernelClockLines({ ...base, nativeReason: 'only 12 of 3000 traced empty calls were seen (40 events lost)' } as unknown as Report).join('\n');
    expect(text).toContain("headline  process clock − nvprobe's per-call cost (no native estimate: only 12 of 3000 traced empty calls were seen (40 events lost))");
    expect(text).toContain('tracing cost -3.25 µs/read (below zero: within run-to-run noise)');
  });
});

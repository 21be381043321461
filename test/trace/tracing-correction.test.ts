// When the kernel-clock total may be corrected for tracing's own cost, and when it must stay as traced.
import { describe, expect, it } from 'vitest';
import { kernelClockLines } from '../../src/report/kernel-clock-text.js';
import { tracingCorrection } from '../../src/trace/probe-tracer.js';

describe('tracing cost correction', () => {
  it('applies a positive cost that is stable across cycles', () => {
    const c = tracingCorrection(0.72, [0.7, 0.8, 0.72]);
    expect(c.applied).toBe(true);
    expect(c.perIoUs).toBe(0.72);
    expect(c.standardErrorUs).toBeCloseTo(0.031, 3);
    expect(c.reason).toBeUndefined();
  });

  it('never subtracts a cost at or below zero', () => {
    const c = tracingCorrection(-3.25, [-3.2, -3.3, -3.25]);
    expect(c.applied).toBe(false);
    expect(c.perIoUs).toBeNull();
    expect(c.reason).toMatch(/not above zero: it could not be separated from run-to-run noise/);
  });

  it('keeps the traced total when the cost varies too much between cycles, or too few cycles ran', () => {
    expect(tracingCorrection(0.91, [0.68, 1.54, 1.34])).toMatchObject({ applied: false, perIoUs: null, reason: expect.stringMatching(/varies too much between cycles/) });
    expect(tracingCorrection(0.7, [0.7, 0.71])).toMatchObject({ applied: false, reason: expect.stringMatching(/^only 2 cycles/) });
    expect(tracingCorrection(null, [])).toMatchObject({ applied: false, reason: expect.stringMatching(/not measured/) });
  });

  it('says in the clock lines which total is the headline', () => {
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
      total: { latency: { count: 100, minUs: 1, maxUs: 2, meanUs: 1, stdevUs: 0, percentilesUs: { p50: 1, p90: 1, p99: 1, 'p99.9': 1, 'p99.99': 1 } }, histogram: {} },
      withPhases: 0,
      phases: null,
      idleCompletions: 0,
      wokeFromIdle: null,
      migrated: 0,
    };
    const k = { ...base, correction: tracingCorrection(-3.25, [-3.2, -3.3, -3.25]) } as unknown as Parameters<typeof kernelClockLines>[0];
    expect(kernelClockLines(k).join('\n')).toContain("kernel-clock total as traced, NOT corrected for tracing's own cost: the measured cost (-3.25 µs/read) is not above zero");
  });
});

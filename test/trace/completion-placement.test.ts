// Where each read's completion ran against the CPU its reader waited on: the joiner records both
// CPUs from the events, the stats group the reads, the text says what the difference cost.
import { describe, expect, it } from 'vitest';
import type { IoEvent } from '../../src/trace/io-events.js';
import { completionPlacement } from '../../src/trace/phase-stats.js';
import { ReadJoiner } from '../../src/trace/read-joiner.js';
import { placementAdvice, placementLines } from '../../src/report/kernel-clock-text.js';
import type { CompletionPlacement } from '../../src/contracts/probe-kernel-clock.js';

/** One QD1 read's events: entered on `enterCpu`, completed by the interrupt on `irqCpu`, `us` long. */
function read(t0: number, us: number, pid: number, enterCpu: number, irqCpu: number, sector: number): IoEvent[] {
  const ns = us * 1000;
  return [
    { kind: 'enter', tsNs: t0, cpu: enterCpu, pid, value: 0 },
    { kind: 'bioQueue', tsNs: t0 + 500, cpu: enterCpu, pid, value: sector },
    { kind: 'rqIssue', tsNs: t0 + 800, cpu: enterCpu, pid, value: sector },
    { kind: 'rqComplete', tsNs: t0 + ns - 2000, cpu: irqCpu, pid: 0, value: sector },
    { kind: 'exit', tsNs: t0 + ns, cpu: enterCpu, pid, value: 4096 },
  ];
}

function join(reads: Array<[number, number, number]>): ReadJoiner {
  const j = new ReadJoiner(false);
  let t = 1_000_000;
  reads.forEach(([us, enterCpu, irqCpu], i) => {
    for (const e of read(t, us, 42, enterCpu, irqCpu, 8 * i)) j.push(e);
    t += us * 1000 + 10_000;
  });
  return j;
}

describe('completion placement', () => {
  it('records the reader CPU and the completion CPU of each read and groups the reads by them', () => {
    const rows: Array<[number, number, number]> = [];
    for (let i = 0; i < 30; i++) rows.push([60, 1, 1]);
    for (let i = 0; i < 25; i++) rows.push([100, 0, 1]);
    const j = join(rows);
    expect(Array.from(j.reads.enterCpu.subarray(0, 3))).toEqual([1, 1, 1]);
    expect(j.reads.completeCpu[40]).toBe(1);
    const p = completionPlacement(j.reads)!;
    expect(p.issueCpus).toEqual({ 0: 25, 1: 30 });
    expect(p.completionCpus).toEqual({ 1: 55 });
    expect(p.sameCpu).toEqual({ reads: 30, p50Us: 60 });
    expect(p.otherCpu).toEqual({ reads: 25, p50Us: 100 });
    expect(placementLines(p)).toEqual([
      "  placement completions ran on CPU 1 (100 %); readers waited on CPU 0 (45 %), CPU 1 (55 %): on the completion's CPU p50 60.0 µs (30 reads), on another CPU p50 100.0 µs (25 reads)",
      "            a reader on the completion's CPU waited 40.0 µs less (p50): run the application there (taskset -c 1), or move the disk's interrupt to the application's CPU",
    ]);
  });

  it('reads without a completion event are left out, and none at all gives no placement', () => {
    const j = new ReadJoiner(false);
    j.push({ kind: 'enter', tsNs: 1000, cpu: 0, pid: 7, value: 0 });
    j.push({ kind: 'exit', tsNs: 9000, cpu: 0, pid: 7, value: 4096 });
    expect(j.reads.completeCpu[0]).toBe(-1);
    expect(completionPlacement(j.reads)).toBeNull();
    expect(placementLines(null)).toEqual([]);
  });

  it('every reader on another CPU than the completions: says how to measure the difference', () => {
    const p = completionPlacement(join(Array.from({ length: 25 }, () => [98, 0, 1] as [number, number, number])).reads)!;
    expect(p.sameCpu).toEqual({ reads: 0, p50Us: null });
    expect(placementAdvice(p)).toBe("every read waited on another CPU than its completion's (CPU 1): nvprobe probe --cpu 1 measures the difference");
  });

  it('no advice when the groups are too small or no slower', () => {
    const few = completionPlacement(join([...Array.from({ length: 30 }, () => [60, 1, 1] as [number, number, number]), [200, 0, 1]]).reads)!;
    expect(placementAdvice(few)).toBeNull();
    expect(placementLines(few)[0]).toContain('CPU 0 (3 %)');
    const even = completionPlacement(
      join([...Array.from({ length: 30 }, () => [60, 1, 1] as [number, number, number]), ...Array.from({ length: 30 }, () => [63, 0, 1] as [number, number, number])]).reads,
    )!;
    expect(placementAdvice(even)).toBeNull();
  });

  it('a document from elsewhere: malformed parts give no line and no escape reaches the text', () => {
    expect(placementLines({ issueCpus: {} } as unknown as CompletionPlacement)).toEqual([]);
    const wrongShape = { issueCpus: { 0: 30 }, completionCpus: { 1: 30 }, sameCpu: { reads: '30', p50Us: 'x' }, otherCpu: { reads: 30, p50Us: { a: 1 } } };
    expect(placementLines(wrongShape as unknown as CompletionPlacement)).toEqual([]);
    expect(placementAdvice(wrongShape as unknown as CompletionPlacement)).toBeNull();
    const p50WithoutReads = { issueCpus: {}, completionCpus: {}, sameCpu: { reads: 0, p50Us: null }, otherCpu: { reads: 25, p50Us: null } };
    expect(placementLines(p50WithoutReads as unknown as CompletionPlacement)).toEqual([]);
    const hostile = {
      issueCpus: { '\u001b[2J0': 5, 1: 25 },
      completionCpus: { '1\u0007': 30, 1: 30 },
      sameCpu: { reads: 25, p50Us: 50 },
      otherCpu: { reads: 5, p50Us: 90 },
    } as unknown as CompletionPlacement;
    const text = placementLines(hostile).join('\n');
    expect([...text].filter((c) => c !== '\n' && c.charCodeAt(0) < 0x20)).toEqual([]);
    expect(text).toContain('readers waited on CPU 1 (83 %)');
  });
});

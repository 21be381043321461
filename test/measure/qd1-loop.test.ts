import { describe, expect, it } from 'vitest';
import { NullEngine } from '../../src/io/null-engine.js';
import { RandomOffsets } from '../../src/measure/offsets.js';
import { runQd1 } from '../../src/measure/qd1-loop.js';

describe('random offsets', () => {
  it('are block aligned, inside the span, and cover it evenly', () => {
    const blocks = 64;
    const o = new RandomOffsets(blocks * 4096 + 100, 4096, 42);
    const hits = new Array(blocks).fill(0);
    for (let i = 0; i < 64000; i++) {
      const off = o.next();
      expect(off % 4096).toBe(0);
      expect(off).toBeGreaterThanOrEqual(0);
      expect(off).toBeLessThan(blocks * 4096);
      hits[off / 4096]++;
    }
    // Expected 1000 per block; a fair generator stays well within ±20 %.
    expect(Math.min(...hits)).toBeGreaterThan(800);
    expect(Math.max(...hits)).toBeLessThan(1200);
  });

  it('repeat with the same seed and differ with another', () => {
    const seq = (seed: number) =>
      Array.from(
        { length: 20 },
        (
          (o) => () =>
            o.next()
        )(new RandomOffsets(1 << 30, 4096, seed)),
      );
    expect(seq(7)).toEqual(seq(7));
    expect(seq(7)).not.toEqual(seq(8));
  });

  it('reach beyond 2^32 blocks on huge devices', () => {
    const o = new RandomOffsets(2 ** 50, 4096, 1);
    let max = 0;
    for (let i = 0; i < 1000; i++) max = Math.max(max, o.next());
    expect(max).toBeGreaterThan(2 ** 49);
  });
});

describe('QD1 loop', () => {
  it('measures exactly --ios I/Os after dropping the ramp', async () => {
    const engine = new NullEngine({ blockSize: 4096, recordOffsets: true });
    const r = await runQd1({ engine, offsets: new RandomOffsets(1 << 20, 4096, 3), rampMs: 20, ios: 5000 });
    expect(r.samplesNs.length).toBe(5000);
    expect(r.rampIos).toBeGreaterThan(0);
    expect(engine.offsets.length).toBe(5000 + r.rampIos);
    expect(r.samplesNs.every((ns) => ns >= 0 && ns < 1e7)).toBe(true);
  });

  it('stops at --duration and reports the measuring time', async () => {
    const engine = new NullEngine({ blockSize: 4096 });
    const t0 = performance.now();
    const r = await runQd1({ engine, offsets: new RandomOffsets(1 << 20, 4096, 3), rampMs: 0, durationMs: 200 });
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(elapsed).toBeLessThan(1500);
    expect(r.wallMs).toBeGreaterThan(150);
    expect(r.wallMs).toBeLessThanOrEqual(elapsed);
    expect(r.samplesNs.length).toBeGreaterThan(1000);
  });

  it('stops when aborted between slices', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const r = await runQd1({ engine: new NullEngine({ blockSize: 4096 }), offsets: new RandomOffsets(1 << 20, 4096), rampMs: 0, durationMs: 10_000, signal: ac.signal });
    expect(r.aborted).toBe(true);
    expect(r.wallMs).toBeLessThan(2000);
  });
});

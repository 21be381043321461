import { describe, expect, it } from 'vitest';
import type { ChangeResult } from '../../src/contracts/tune-session.js';
import type { CpuWindow } from '../../src/contracts/cpu-cost.js';
import type { GridPoint } from '../../src/contracts/tune-evidence.js';
import { summarizeCpu } from '../../src/stats/cpu-cost.js';
import { chooseKnee } from '../../src/tune/autotune.js';
import { priceText } from '../../src/report/tune-price.js';
import { gridCostSvg, tuneCostSection } from '../../src/report/html-tune-cost.js';

// A guest_halt_poll_ns decision as a haltpoll-driver KVM guest gave it (grid p50s from such a
// run: 57.9 / 41.4 / 41.7 / 41.6 / 41.9 / 41.8 µs), with each arm's CPU accounting: the decision
// line says gain and price, and the HTML draws the grid as latency against CPU cost.

/** One arm's window: `busy` of 2 vCPUs' ticks, `pollUs` in POLL over 1 s, 10,000 reads. */
const cost = (busy: number, pollUs: number, userUs: number, sysUs: number) =>
  summarizeCpu({
    wallUs: 1e6,
    reads: 10_000,
    processUserUs: userUs * 10_000,
    processSystemUs: sysUs * 10_000,
    vcpus: [0, 1].map((cpu) => ({ cpu, busyTicks: busy, idleTicks: 100 - busy, stealTicks: 0, totalTicks: 100, pollUs })),
  } satisfies CpuWindow);

const GRID: GridPoint[] = [
  [0, 57.9, 0.0002, 30],
  [25000, 41.4, 0.002, 34],
  [50000, 41.7, 0.004, 35],
  [100000, 41.6, 0.011, 36],
  [200000, 41.9, 0.031, 38],
  [400000, 41.8, 0.08, 41],
].map(([value, p50, idle, busy]) => ({ value: value!, p50Us: [p50!], medianP50Us: p50!, rounds: [], idlePollShare: idle!, cpu: cost(busy!, 0, 1.1, 2.9) }));

function change(): ChangeResult {
  const knee = chooseKnee(GRID, 0.012, 0.05);
  return {
    findingId: 'haltpoll-polling-disabled',
    title: 'halt polling is off',
    target: 'haltpoll.guest_halt_poll_ns',
    from: ['0'],
    to: knee.chosen.value,
    decision: 'kept',
    reason: 'p50 28.3 % lower: a gain of at least 3 % (interval 0.690–0.745 over 8 blocks)',
    medianRatio: 0.717,
    blocks: [],
    grid: GRID,
    gridChoice: knee.choice,
    pollShare: { before: 0.0002, after: 0.002 },
    cpu: { before: cost(30, 0, 1.1, 2.9), after: cost(34, 20_000, 1.0, 2.7) },
  };
}

describe('the price beside a gain', () => {
  it('the decision line: idle polling before → after, the busy share during the reads, nvprobe CPU per read', () => {
    const c = change();
    expect(c.to).toBe(25000);
    expect(priceText(c)).toBe('price: idle polling 0.0 → 0.2 % of a vCPU, vCPUs busy during the reads 30 → 36 %, nvprobe 4.00 → 3.70 µs CPU per read');
    expect(priceText({ ...c, cpu: undefined, pollShare: undefined })).toBeNull();
  });

  it('the HTML grid: one point per value at (idle polling, p50), the kept value marked, 400000 hollow over the 5 % cap', () => {
    const svg = gridCostSvg(change());
    expect(svg.match(/<circle class="grid-point"/g)).toHaveLength(6);
    expect(svg).toContain('data-value="25000" data-chosen="true"');
    expect(svg).toMatch(/data-value="400000" data-chosen="false" cx="[\d.]+" cy="[\d.]+" r="5" fill="none"/);
    expect(svg).toContain('class="grid-cap"');
    // Cost rises to the right, latency upwards: 0 sits left of and above 25000.
    const at = (v: number) => {
      const m = new RegExp(`data-value="${v}"[^>]*cx="([\\d.]+)" cy="([\\d.]+)"`).exec(svg)!;
      return { x: Number(m[1]), y: Number(m[2]) };
    };
    expect(at(0).x).toBeLessThan(at(25000).x);
    expect(at(0).y).toBeLessThan(at(25000).y);
    expect(at(400000).x).toBeGreaterThan(at(200000).x);
    const html = tuneCostSection([change()]).join('\n');
    expect(html).toMatch(
      /<tr class="chosen"><td>25000<\/td><td class="num">41\.4<\/td><td class="num">0\.2 %<\/td><td class="num">34\.0 %<\/td><td class="num">4\.00<\/td><td><span class="kept">kept<\/span><\/td><\/tr>/,
    );
    expect(html).toContain('<li><code>haltpoll.guest_halt_poll_ns</code> (kept): price: idle polling 0.0 → 0.2 % of a vCPU');
  });

  it('no grid, no cost: no chart', () => {
    expect(gridCostSvg({ ...change(), grid: GRID.slice(0, 1) })).toBe('');
  });
});

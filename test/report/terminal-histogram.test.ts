import { describe, expect, it } from 'vitest';
import { renderHistogram } from '../../src/report/terminal-histogram.js';
import { Histogram } from '../../src/stats/histogram.js';

describe('terminal histogram', () => {
  it('draws a row too small for one block as a thin mark, and the full row as the full width', () => {
    const h = new Histogram();
    for (let i = 0; i < 100_000; i++) h.add(50_000 + (i % 1000));
    h.add(400_000); // one slow read: 0.00 % of the reads
    const rows = renderHistogram(h.toJSON(), 40).split('\n').slice(1);
    const bars = rows.map((r) => /\s(\S*)$/.exec(r)?.[1] ?? '');
    const slow = rows.find((r) => /\b1\s+0\.00\s/.test(r));
    expect(slow, rows.join('\n')).toBeDefined();
    expect(slow!.endsWith('▏')).toBe(true);
    expect(Math.max(...bars.map((b) => (b.startsWith('█') ? b.length : 0)))).toBe(40);
  });
});

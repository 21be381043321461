import { coarseBins, Histogram } from '../stats/histogram.js';
import { fmtUs } from './format.js';
import type { HistogramJson } from '../contracts/latency-stats.js';

/**
 * A terminal rendering of a latency histogram: fine buckets merged into bins ~9 % wide
 * (8 per power of two), from the 0.01st to the 99.99th percentile, outliers folded into the
 * end rows so that every I/O is counted.
 */
export function renderHistogram(json: HistogramJson, width = 40): string {
  const h = Histogram.fromJSON(json);
  if (h.count === 0) return '(no samples)';
  const lo = h.percentile(0.01) * 0.999;
  const hi = h.percentile(99.99) * 1.001;
  const rows = coarseBins(json, { lo, hi });
  const max = Math.max(...rows.map((b) => b.count));
  let cumulative = 0;
  const lines = ['   latency (µs)          count      %    cum%'];
  for (const b of rows) {
    cumulative += b.count;
    const label = b.edge === 'below' ? `< ${fmtUs(b.to / 1000)}` : b.edge === 'above' ? `>= ${fmtUs(b.from / 1000)}` : `${fmtUs(b.from / 1000)} - ${fmtUs(b.to / 1000)}`;
    // A row too small for one block still shows that it holds reads, with a thin mark, not a full block.
    const cells = Math.round((b.count / max) * width);
    const bar = cells > 0 ? '█'.repeat(cells) : b.count > 0 ? '▏' : '';
    lines.push(`${label.padStart(17)}  ${String(b.count).padStart(11)}  ${((b.count / h.count) * 100).toFixed(2).padStart(5)}  ${((cumulative / h.count) * 100).toFixed(2).padStart(6)}  ${bar}`);
  }
  return lines.join('\n');
}

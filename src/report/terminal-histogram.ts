import { bucketBounds, Histogram, HISTOGRAM_BITS, type HistogramJson } from '../measure/histogram.js';
import { fmtUs } from './format.js';

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
  const merge = 1 << (HISTOGRAM_BITS - 3);
  const bins = new Map<number, { from: number; to: number; count: number }>();
  for (const [i, c] of json.buckets) {
    const [bLo] = bucketBounds(i);
    const key = bLo < lo ? -1 : bLo > hi ? Infinity : i < 128 ? Math.floor(i / 8) : Math.floor(i / merge) + 1000;
    const [from, to] = bucketBounds(i);
    const bin = bins.get(key) ?? { from, to, count: 0 };
    bin.from = Math.min(bin.from, from);
    bin.to = Math.max(bin.to, to);
    bin.count += c;
    bins.set(key, bin);
  }
  const rows = [...bins.entries()].sort((a, b) => a[0] - b[0]);
  const max = Math.max(...rows.map(([, b]) => b.count));
  let cumulative = 0;
  const lines = ['   latency (µs)          count      %    cum%'];
  for (const [key, b] of rows) {
    cumulative += b.count;
    const label =
      key === -1 ? `< ${fmtUs(b.to / 1000)}` : key === Infinity ? `>= ${fmtUs(b.from / 1000)}` : `${fmtUs(b.from / 1000)} - ${fmtUs(b.to / 1000)}`;
    const bar = '█'.repeat(Math.max(b.count > 0 ? 1 : 0, Math.round((b.count / max) * width)));
    lines.push(
      `${label.padStart(17)}  ${String(b.count).padStart(11)}  ${((b.count / h.count) * 100).toFixed(2).padStart(5)}  ${((cumulative / h.count) * 100).toFixed(2).padStart(6)}  ${bar}`,
    );
  }
  return lines.join('\n');
}

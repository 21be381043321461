import { coarseBins, Histogram } from '../stats/histogram.js';
import { fmtUs } from './format.js';
import { escapeHtml } from './html-escape.js';
import type { LatencySeries } from './report-model.js';

export const SERIES_COLORS: Record<string, string> = { before: '#8c8c8c', after: '#1565c0', probe: '#1565c0', A: '#1565c0', B: '#c62828' };
const color = (name: string, i: number) => SERIES_COLORS[name] ?? ['#1565c0', '#c62828', '#2e7d32'][i % 3]!;

const W = 760;
const H = 380;
const M = { left: 56, right: 20, top: 16, bottom: 52 };

/** Log-scale x axis over [lo, hi] µs: position and decade ticks (1, 2, 5 × 10^k). */
function logAxis(loUs: number, hiUs: number) {
  const lo = Math.log10(Math.max(loUs, 0.01));
  const hi = Math.max(Math.log10(Math.max(hiUs, 0.01)), lo + 0.3);
  const x = (us: number) => M.left + ((Math.log10(Math.max(us, 0.01)) - lo) / (hi - lo)) * (W - M.left - M.right);
  const ticks: number[] = [];
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e++)
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (Math.log10(v) >= lo - 1e-9 && Math.log10(v) <= hi + 1e-9) ticks.push(v);
    }
  return { x, ticks };
}

/** Axis labels: 0.5, 2, 50, 1000 (no trailing .0). */
const tick = (v: number) => (v >= 1 ? String(Math.round(v)) : String(Number(v.toPrecision(2))));

function range(series: LatencySeries[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    const h = Histogram.fromJSON(s.histogram);
    if (h.count === 0) continue;
    // 0.01st to 100th percentile: a lone early outlier would squash the picture.
    lo = Math.min(lo, h.percentile(0.01) / 1000);
    hi = Math.max(hi, s.histogram.maxNs / 1000);
  }
  return Number.isFinite(lo) ? [lo * 0.9, hi * 1.1] : [1, 1000];
}

/**
 * Cumulative distribution of latency, one step line per series (`<path class="cdf-series"
 * data-series="before">`), x in µs on a log scale, y the share of I/Os at or below x.
 */
export function cdfSvg(series: LatencySeries[]): string {
  const [loUs, hiUs] = range(series);
  const { x, ticks } = logAxis(loUs, hiUs);
  const y = (f: number) => H - M.bottom - f * (H - M.top - M.bottom);
  const out: string[] = [`<svg class="cdf" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="latency CDF, log-scale x">`];
  out.push(`<title>Latency CDF (${series.map((s) => escapeHtml(s.name)).join(' vs ')})</title>`);
  for (const f of [0, 0.25, 0.5, 0.75, 0.9, 1]) {
    out.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${y(f).toFixed(1)}" y2="${y(f).toFixed(1)}" stroke="#e0e0e0"/><text x="${M.left - 6}" y="${(y(f) + 4).toFixed(1)}" text-anchor="end" font-size="11">${f === 1 ? '1' : f}</text>`,
    );
  }
  for (const t of ticks) {
    out.push(
      `<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eeeeee"/><text x="${x(t).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle" font-size="11">${tick(t)}</text>`,
    );
  }
  out.push(`<text x="${(W + M.left) / 2}" y="${H - 12}" text-anchor="middle" font-size="12">latency (µs, log scale)</text>`);
  out.push(`<text x="14" y="${(H - M.bottom + M.top) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${(H - M.bottom + M.top) / 2})">share of I/Os ≤ x</text>`);
  series.forEach((s, i) => {
    const h = Histogram.fromJSON(s.histogram);
    if (h.count === 0) return;
    let cum = 0;
    const pts: string[] = [];
    for (const [lo, hi, c] of h.nonEmpty()) {
      const from = Math.max(lo / 1000, loUs);
      if (pts.length === 0) pts.push(`M${x(from).toFixed(2)},${y(0).toFixed(2)}`);
      cum += c;
      pts.push(`L${x(Math.max(hi / 1000, loUs)).toFixed(2)},${y(cum / h.count).toFixed(2)}`);
    }
    out.push(`<path class="cdf-series" data-series="${escapeHtml(s.name)}" d="${pts.join(' ')}" fill="none" stroke="${color(s.name, i)}" stroke-width="2"/>`);
  });
  // Legend, bottom right: a CDF rises from the bottom left and ends at the top.
  const labels = series.map((s) => `${s.name} (${s.histogram.count} I/Os, p50 ${fmtUs(Histogram.fromJSON(s.histogram).percentile(50) / 1000)} µs)`);
  // Wide enough for the longest label (12 px text: at most ~7 px a character), never past the plot's left edge.
  const lx = Math.max(M.left + 8, W - M.right - 8 - 30 - Math.ceil(Math.max(...labels.map((l) => l.length)) * 7));
  series.forEach((s, i) => {
    const ly = H - M.bottom - 14 - (series.length - 1 - i) * 18;
    out.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${color(s.name, i)}" stroke-width="3"/><text x="${lx + 30}" y="${ly + 4}" font-size="12">${escapeHtml(labels[i]!)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}

/** Bars of one histogram: buckets merged 8 per power of two (~9 % wide), share of I/Os per bar. */
export function histogramSvg(s: LatencySeries, i: number, xRange?: [number, number]): string {
  const h = Histogram.fromJSON(s.histogram);
  const width = W;
  const height = 220;
  const [loUs, hiUs] = xRange ?? range([s]);
  const { x, ticks } = logAxis(loUs, hiUs);
  const bins = coarseBins(s.histogram);
  const maxShare = Math.max(...bins.map((b) => b.count / h.count), 1e-9);
  const y = (f: number) => height - 40 - (f / maxShare) * (height - 40 - 12);
  const out = [
    `<svg class="histogram" data-series="${escapeHtml(s.name)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="latency histogram ${escapeHtml(s.name)}">`,
  ];
  for (const t of ticks) out.push(`<text x="${x(t).toFixed(1)}" y="${height - 24}" text-anchor="middle" font-size="11">${tick(t)}</text>`);
  out.push(`<line x1="${M.left}" x2="${width - M.right}" y1="${height - 40}" y2="${height - 40}" stroke="#999"/>`);
  for (const b of bins) {
    const x0 = x(Math.max(b.from / 1000, loUs));
    const x1 = x(Math.min(b.to / 1000, hiUs));
    if (x1 <= x0) continue;
    const share = b.count / h.count;
    out.push(
      `<rect x="${x0.toFixed(2)}" y="${y(share).toFixed(2)}" width="${Math.max(0.8, x1 - x0 - 0.4).toFixed(2)}" height="${(height - 40 - y(share)).toFixed(2)}" fill="${color(s.name, i)}"><title>${fmtUs(b.from / 1000)}–${fmtUs(b.to / 1000)} µs: ${b.count} I/Os (${(share * 100).toFixed(2)} %)</title></rect>`,
    );
  }
  out.push(
    `<text x="${(width + M.left) / 2}" y="${height - 6}" text-anchor="middle" font-size="12">${escapeHtml(s.name)}: latency (µs, log scale); bar height = share of I/Os (tallest ${(maxShare * 100).toFixed(1)} %)</text>`,
  );
  out.push('</svg>');
  return out.join('\n');
}

export function sharedRange(series: LatencySeries[]): [number, number] {
  return range(series);
}

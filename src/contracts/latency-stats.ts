// Latency summaries and histograms, shared by the probe and tune documents.

export interface LatencySummary {
  count: number;
  minUs: number;
  meanUs: number;
  stdevUs: number;
  maxUs: number;
  percentilesUs: Record<PercentileKey, number>;
}

export type PercentileKey = 'p1' | 'p5' | 'p10' | 'p50' | 'p90' | 'p95' | 'p99' | 'p99.9' | 'p99.99';

/** A latency histogram as stored: fio's log-linear buckets in ns (`bits` per power of two), sparse. */
export interface HistogramJson {
  scheme: 'log-linear';
  bits: number;
  unit: 'ns';
  count: number;
  minNs: number;
  maxNs: number;
  /** Sparse [bucket index, count] pairs, ascending. */
  buckets: Array<[number, number]>;
}

import type { SideCpu } from '../contracts/compare-document.js';
import { fmtUs } from './format.js';

// The two sides' CPU figures during their reads: what the host took (steal) and what the reads cost.

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** Rows of [label, A, B]; empty when either side has no CPU figures. */
export function cpuCompareRows(a: SideCpu | null | undefined, b: SideCpu | null | undefined): string[][] {
  if (!a || !b) return [];
  const per = (c: SideCpu) => (c.perReadUs === null ? '-' : `${fmtUs(c.perReadUs)} µs`);
  return [
    ['steal, largest vCPU (the host kept it off its CPUs)', pct(a.maxStealShare), pct(b.maxStealShare)],
    ['steal per read', `${fmtUs(a.stealPerReadUs)} µs`, `${fmtUs(b.stealPerReadUs)} µs`],
    ['vCPUs busy during the reads (with polling)', pct(a.busyShare), pct(b.busyShare)],
    ["nvprobe's CPU per read", per(a), per(b)],
  ];
}

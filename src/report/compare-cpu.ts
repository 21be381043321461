import type { SideCpu, SideLatency, SidePlacement } from '../contracts/compare-document.js';
import { fmtUs } from './format.js';
import { sameCpuPercent } from './kernel-clock-text.js';

// The two sides' figures during their reads: what the host took (steal), what the reads cost, and
// where they waited against their completions. One table in text and HTML.

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** Rows of [label, A, B]; empty when either side has no CPU figures. */
function cpuCompareRows(a: SideCpu | null | undefined, b: SideCpu | null | undefined): string[][] {
  if (!a || !b) return [];
  const per = (c: SideCpu) => (c.perReadUs === null ? '-' : `${fmtUs(c.perReadUs)} µs`);
  return [
    ['steal, largest vCPU (the host kept it off its CPUs)', pct(a.maxStealShare), pct(b.maxStealShare)],
    ['steal per read', `${fmtUs(a.stealPerReadUs)} µs`, `${fmtUs(b.stealPerReadUs)} µs`],
    ['vCPUs busy during the reads (with polling)', pct(a.busyShare), pct(b.busyShare)],
    ["nvprobe's CPU per read", per(a), per(b)],
  ];
}

/** [label, A, B]: the share of the reads whose completion ran on their reader's CPU; empty when either side has none. */
function placementCompareRows(a: SidePlacement | null | undefined, b: SidePlacement | null | undefined): string[][] {
  if (!a || !b) return [];
  const show = (p: SidePlacement) => `${sameCpuPercent(p)}${p.completionCpu !== null ? ` (completions on CPU ${p.completionCpu})` : ''}`;
  return [["reads completed on their reader's CPU", show(a), show(b)]];
}

/** The "during the reads" table's rows, text and HTML alike. */
export function duringReadsRows(a: SideLatency, b: SideLatency): string[][] {
  return [...cpuCompareRows(a.cpu, b.cpu), ...placementCompareRows(a.placement, b.placement)];
}

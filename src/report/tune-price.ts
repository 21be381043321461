import type { CpuCost } from '../contracts/cpu-cost.js';
import type { ChangeResult } from '../contracts/tune-session.js';
import type { GridPoint } from '../contracts/tune-evidence.js';

// The price beside a gain: what a tune decision's B arm (with the change) cost against its A arm.

const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
const pct0 = (share: number) => `${Math.round(share * 100)} %`;
const us = (x: number) => x.toFixed(2);

/** nvprobe's own CPU per read, user + system, µs; null when not read. */
export const cpuPerReadUs = (c: CpuCost | null | undefined) => (c?.perReadUs ? c.perReadUs.user + c.perReadUs.system : null);

/** "price: idle polling 0.0 → 0.2 % of a vCPU, vCPUs busy during the reads 51 → 55 %, nvprobe 4.10 → 4.30 µs CPU per read"; null: nothing measured. */
export function priceText(c: ChangeResult): string | null {
  const parts: string[] = [];
  const p = c.pollShare;
  if (p && p.before !== null && p.after !== null) parts.push(`idle polling ${(p.before * 100).toFixed(1)} → ${pct(p.after)} of a vCPU`);
  const a = c.cpu?.before;
  const b = c.cpu?.after;
  if (a && b) {
    parts.push(`vCPUs busy during the reads ${Math.round(a.busyShare * 100)} → ${pct0(b.busyShare)}`);
    const ua = cpuPerReadUs(a);
    const ub = cpuPerReadUs(b);
    if (ua !== null && ub !== null) parts.push(`nvprobe ${us(ua)} → ${us(ub)} µs CPU per read`);
  }
  return parts.length ? `price: ${parts.join(', ')}` : null;
}

/** One grid value with its latency and its cost: "25000: 41.4 µs, idle polling 0.2 %, busy 55 %". */
export function gridPointText(g: GridPoint, fmtUs: (x: number) => string): string {
  const cost = [g.idlePollShare != null ? `idle polling ${pct(g.idlePollShare)}` : null, g.cpu ? `busy ${pct0(g.cpu.busyShare)}` : null].filter(Boolean);
  return `${g.value}: ${fmtUs(g.medianP50Us)} µs${cost.length ? `, ${cost.join(', ')}` : ''}`;
}

/** The vCPUs' figures of one arm in a row: busy, polling, steal and nvprobe's CPU per read. */
export function armCostCells(c: CpuCost | null | undefined): { busy: string; steal: string; perRead: string } {
  if (!c) return { busy: '-', steal: '-', perRead: '-' };
  const per = cpuPerReadUs(c);
  return {
    busy: `${pct0(c.busyShare)}${c.pollVcpus !== null && c.pollVcpus > 0 ? ` (polling ${pct(c.pollVcpus / Math.max(1, c.vcpus.length))})` : ''}`,
    steal: `${pct(c.maxStealShare)} max`,
    perRead: per === null ? '-' : `${us(per)} (${us(c.perReadUs!.user)} user + ${us(c.perReadUs!.system)} sys)`,
  };
}

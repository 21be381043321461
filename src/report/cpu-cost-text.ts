import { STEAL_ADVICE_SHARE, type CpuCost } from '../contracts/cpu-cost.js';
import type { ProbeReport } from '../contracts/probe-document.js';
import { fmtUs, table } from './format.js';

/** The rule that judges steal (rules/vcpu-steal.yaml): where probe's advice line points. */
export const STEAL_RULE_ID = 'vcpu-steal';

/** /proc/stat counts in ticks of 1/USER_HZ s, and USER_HZ is 100 wherever nvprobe runs. */
const TICKS_PER_SECOND = 100;

/** A share (0..1) as a percentage: two decimals below 1 % (a 0.99 % must not read as 1 %), one below 10 %, whole above. */
export function fmtShare(x: number): string {
  const p = x * 100;
  return `${p === 0 ? '0' : p < 1 ? p.toFixed(2) : p < 10 ? p.toFixed(1) : Math.round(p).toString()} %`;
}

/** One /proc/stat tick as a share of one vCPU over the window: the finest step its shares move in. */
export function tickShare(c: CpuCost): number | null {
  return c.seconds > 0 ? 1 / (TICKS_PER_SECOND * c.seconds) : null;
}

/** The vCPU the host kept off its CPU the most (the lowest number among equals). */
export function worstSteal(c: CpuCost): { cpu: number; share: number } | null {
  const v = c.vcpus.find((x) => x.steal === c.maxStealShare);
  return v ? { cpu: v.cpu, share: v.steal } : null;
}

/**
 * The price of the reads in one sentence, the same in text, HTML and `report --json`: nvprobe's own
 * CPU per read, how busy the vCPUs were (and how much of it polling, during the reads and idle
 * after), and steal. Null for a document without CPU figures (older versions).
 */
export function cpuSentence(r: ProbeReport): string | null {
  const c = r.result?.cpu;
  if (!c || !Array.isArray(c.vcpus)) return null;
  // The tracer's work per read (events, draining the buffers) runs in nvprobe's thread, in the kernel.
  const traced = r.kernelClock?.available === true;
  const own = c.perReadUs
    ? `nvprobe ${fmtUs(c.perReadUs.user)} µs user + ${fmtUs(c.perReadUs.system)} µs system per read${traced ? " (system includes tracing's per-read cost)" : ''}`
    : "nvprobe's own CPU time not known";
  const n = c.vcpus.length;
  const polling = c.pollVcpus !== null && n > 0 ? `, ${fmtShare(c.pollVcpus / n)} of it polling` : '';
  const idle = typeof r.result.idlePollShare === 'number' ? `; ${fmtShare(r.result.idlePollShare)} polling when idle` : '';
  const w = worstSteal(c);
  const steal = w && w.share > 0 ? `steal ${fmtShare(w.share)} (vCPU ${w.cpu}, the most), ${fmtUs(c.stealPerReadUs)} µs per read` : 'steal 0 % on every vCPU';
  return `${own}; vCPUs ${fmtShare(c.busyShare)} busy${polling}${idle}; ${steal}`;
}

/**
 * One line of host advice when the host kept a vCPU off its CPU long enough to set the p99 (see
 * the rule's rationale); null below the threshold.
 */
export function stealAdvice(c: CpuCost | null | undefined): string | null {
  if (!c || !(c.maxStealShare >= STEAL_ADVICE_SHARE)) return null;
  const w = worstSteal(c);
  const tick = tickShare(c);
  // Over a run of a second or less one tick is already the threshold: say so rather than alarm.
  const coarse = tick !== null && tick * 2 > c.maxStealShare ? ` (one /proc/stat tick is ${fmtShare(tick)} of this short run: measure longer to be sure)` : '';
  return (
    `steal ${fmtShare(c.maxStealShare)}${w ? ` on vCPU ${w.cpu}` : ''} during the reads (≥ ${fmtShare(STEAL_ADVICE_SHARE)})${coarse}: at QD1 the host's scheduler, not the device, sets the p99; ` +
    `ask the host for dedicated, pinned vCPUs (rule ${STEAL_RULE_ID}: \`nvprobe rules show ${STEAL_RULE_ID}\` has the libvirt XML)`
  );
}

/** --verbose: each vCPU's shares during the reads, and how coarse the ticks make them. */
export function vcpuTable(c: CpuCost): string[] {
  if (!Array.isArray(c.vcpus) || c.vcpus.length === 0) return [];
  const tick = tickShare(c);
  return [
    '',
    table([['vCPU during the reads', 'busy', 'polling', 'steal'], ...c.vcpus.map((v) => [`vCPU ${v.cpu}`, fmtShare(v.busy), v.poll === null ? '-' : fmtShare(v.poll), fmtShare(v.steal)])]),
    `  busy and steal: /proc/stat ticks over ${c.seconds.toFixed(2)} s${tick === null ? '' : ` (one tick = ${fmtShare(tick)} of a vCPU)`}; polling: time in the cpuidle POLL state${c.pollVcpus === null ? ' (none here)' : ''}`,
  ];
}

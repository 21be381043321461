import { formatCpuList } from '../detect/cpu-list.js';
import type { DiskInfo } from '../contracts/detect-disks.js';
import type { Snapshot } from '../contracts/detect-document.js';
import { fmtBytes } from './format.js';

/** The human view of a Snapshot: a few lines per section and one table of disks. */
export function renderDetectSummary(s: Snapshot): string {
  const out: string[] = [];
  const line = (label: string, text: string) => out.push(`${label.padEnd(12)}${text}`);
  const cpuCount = s.cpus.online?.length;
  line(
    'machine',
    [s.machine.architecture ?? 'unknown architecture', s.machine.cpuModel, cpuCount === undefined ? null : `${cpuCount} CPUs online (${formatCpuList(s.cpus.online!)})`, numa(s)]
      .filter(Boolean)
      .join(', '),
  );
  line(
    'kernel',
    `${s.kernel.release ?? 'unknown'}${s.kernel.ioUringDisabled === null ? '' : `, io_uring ${['enabled', 'restricted to io_uring_group', 'disabled'][s.kernel.ioUringDisabled] ?? `disabled=${s.kernel.ioUringDisabled}`}`}`,
  );
  const hv = s.hypervisor;
  line('hypervisor', `${hv.kind}${hv.vendor ? ` (${[hv.vendor, hv.product].filter(Boolean).join(' / ')})` : ''}`);
  for (const e of hv.evidence) line('', `  ${e}`);
  const ci = s.cpuidle;
  line('cpuidle', `driver ${ci.driver ?? 'none'}, governor ${ci.governor ?? 'none'}`);
  const states = ci.perCpu.find((c) => c.states.length > 0)?.states ?? [];
  if (states.length > 0) line('', `  states: ${states.map((st) => `${st.name ?? `state${st.index}`} (${st.latencyUs ?? '?'} µs)${st.disabled ? ' disabled' : ''}`).join(', ')}`);
  line('', `  haltpoll: ${ci.haltpoll.explanation}`);
  const limited = ci.resumeLatency.filter((l) => l.limitUs !== null);
  line('', `  PM QoS resume latency: ${limited.length === 0 ? 'no constraint' : limited.map((l) => `cpu${l.cpu} ≤ ${l.limitUs} µs`).join(', ')}`);
  if (ci.cpufreq.length > 0) line('cpufreq', [...new Set(ci.cpufreq.map((p) => `${p.driver ?? '?'}/${p.governor ?? '?'}`))].join(', '));
  const steal = stealWords(s);
  if (steal) line('steal', steal);
  if (s.cpus.isolated?.length) line('isolated', formatCpuList(s.cpus.isolated));
  if (s.cpus.nohzFull?.length) line('nohz_full', formatCpuList(s.cpus.nohzFull));
  const rf = s.rootFs;
  line('root fs', rf === null ? 'unknown' : `${rf.source ?? '?'} (${rf.fsType ?? '?'}) on ${rf.device ?? 'no block device'}${rf.disk && rf.disk !== rf.device ? `, disk ${rf.disk}` : ''}`);
  out.push('');
  const shown = s.disks.filter((d) => d.sizeBytes !== 0 || d.rootFs !== null);
  out.push(...table(shown.map(diskRow)));
  const empty = s.disks.filter((d) => !shown.includes(d));
  if (empty.length > 0) out.push(`(${empty.length} more with size 0: ${empty.map((d) => d.name).join(' ')})`);
  if (s.unavailable.length > 0) out.push('', `${s.unavailable.length} values unavailable (see --json "unavailable")`);
  return `${out.join('\n')}\n`;
}

/** The host's share of the vCPUs, largest per vCPU: the run's when a measurement ran, and since boot. Absent in older documents. */
function stealWords(s: Snapshot): string | null {
  const st = s.steal as Snapshot['steal'] | undefined;
  if (!st) return null;
  const most = (w: { maxPct: number; maxCpu: number }) => (w.maxPct > 0 ? `${w.maxPct} % at most (vCPU ${w.maxCpu})` : '0 % on every vCPU');
  const parts: string[] = [];
  if (st.run) parts.push(`${most(st.run)} ${st.windowText}, ${st.run.perReadUs} µs per read`);
  if (st.sinceBoot) parts.push(`${most(st.sinceBoot)} since boot`);
  return parts.length ? parts.join('; ') : 'not known (no /proc/stat read)';
}

function numa(s: Snapshot): string | null {
  const n = s.cpus.numaNodes.length;
  return n === 0 ? null : `${n} NUMA node${n === 1 ? '' : 's'}`;
}

const HEADERS = ['DISK', 'TRANSPORT', 'MODEL', 'SIZE', 'HWQ', 'POLLQ', 'IO_POLL', 'SCHEDULER', 'ROT', 'NUMA', 'ROOT FS'];

/** A disk's model as every report names it: the model string, else its PCI ids, else '-'. */
export function diskModel(d: DiskInfo): string {
  return d.nvme ? `${d.model ?? '?'} (${d.nvme.kind})` : (d.model ?? (d.pci ? `pci ${d.pci.vendorId}:${d.pci.deviceId}` : '-'));
}

function diskRow(d: DiskInfo): string[] {
  const model = diskModel(d);
  return [
    d.vanished ? `${d.name} (gone)` : d.name,
    d.transport,
    model,
    d.sizeBytes === null ? '?' : fmtBytes(d.sizeBytes),
    d.queues.hwQueues === null ? '-' : String(d.queues.hwQueues),
    d.queues.pollQueuesParam === null ? '-' : String(d.queues.pollQueuesParam),
    yesNo(d.queues.ioPoll),
    d.settings.scheduler ?? '-',
    yesNo(d.settings.rotational),
    d.numaNode === null ? '-' : String(d.numaNode),
    d.rootFs ?? '-',
  ];
}

function yesNo(v: boolean | null): string {
  return v === null ? '?' : v ? 'yes' : 'no';
}

function table(rows: string[][]): string[] {
  const all = [HEADERS, ...rows];
  const widths = HEADERS.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

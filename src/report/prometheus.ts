import { PERCENTILES, percentileKey } from '../stats/summary.js';
import type { ProbeReport } from '../contracts/probe-document.js';
import { probeHeadline } from '../measure/headline.js';
import { terminalSafe } from './terminal-safe.js';
import type { LastRun, TuneState } from './tune-state.js';
import type { Verdict } from '../contracts/boot-verdict.js';
import type { LatencySummary } from '../contracts/latency-stats.js';

/**
 * node_exporter textfile-collector format (Prometheus text exposition format 0.0.4) of one probe
 * run: latency as summaries in seconds, labelled by device, engine and hipri; where the kernel
 * clock ran, the total on it and per phase (`phase` label), the guest and host sides, and tracing's cost.
 */
export function renderPrometheus(r: ProbeReport, state: TuneState | null = null): string {
  const labels = {
    device: r.target.disk ?? r.target.path,
    engine: r.engine.name,
    hipri: String(r.engine.hipri.requested),
  };
  const m = r.result;
  const out: string[] = [];
  const h = probeHeadline(r);
  summary(
    out,
    'nvprobe_read_latency_seconds',
    "QD1 random read latency, the headline series (nvprobe_read_latency_clock_info says which: native = each read's kernel-clock window plus the syscall boundary minus tracing's in-window cost; calibrated = process-timed minus nvprobe's per-call cost); comparable to fio clat",
    labels,
    h.latency,
  );
  summary(out, 'nvprobe_read_latency_calibrated_seconds', "QD1 random read latency as the process timed it, nvprobe's per-call cost subtracted (every read)", labels, m.corrected);
  summary(out, 'nvprobe_read_latency_raw_seconds', 'QD1 random read latency as the process timed it (per-call cost included)', labels, m.raw);
  gauge(out, 'nvprobe_read_iops', 'QD1 read I/Os per second nvprobe achieved', labels, m.iops);
  gauge(out, 'nvprobe_read_iops_corrected', "QD1 read I/Os per second the device sustains without nvprobe's per-call cost", labels, m.iopsCorrected);
  gauge(out, 'nvprobe_read_polled', '1 when the reads completed by polling, 0 when by interrupt', labels, r.engine.polled.polled ? 1 : 0);
  gauge(out, 'nvprobe_ffi_overhead_seconds', "nvprobe's per-call cost (ffi-rs call and clock reads) taken off every read", labels, m.overhead.perIoUs / 1e6);
  gauge(out, 'nvprobe_probe_duration_seconds', 'wall time of the measured part of the run', labels, m.wallSeconds);
  gauge(out, 'nvprobe_probe_timestamp_seconds', 'when the probe finished, seconds since the Unix epoch', labels, Date.parse(r.createdAt) / 1000);
  kernelClock(out, r, labels);
  cpuCost(out, r, labels);
  gauge(out, 'nvprobe_build_info', 'nvprobe version and kernel of the run', { version: r.nvprobeVersion, kernel: r.kernel.release }, 1);
  if (state) tuneState(out, state);
  return `${out.join('\n')}\n`;
}

/** The phases a read's time is split into on the kernel's clock (label value → where in the document). */
const PHASES = [
  { phase: 'submit', key: 'submit' },
  { phase: 'device', key: 'device' },
  { phase: 'completion', key: 'completion' },
] as const;

/**
 * The kernel clock: which clock the headline is, the total and each phase on it, the guest-side
 * and host-side split, and what tracing itself cost. Only the clock info when tracing did not run.
 */
function kernelClock(out: string[], r: ProbeReport, labels: Record<string, string>): void {
  const k = r.kernelClock;
  const on = k?.available === true;
  header(
    out,
    'nvprobe_read_latency_clock_info',
    'which series nvprobe_read_latency_seconds is: native (kernel clock window + syscall boundary − tracing in window), calibrated (process-timed, per-call cost subtracted) or kernel (older documents)',
    'gauge',
  );
  out.push(sample('nvprobe_read_latency_clock_info', { ...labels, clock: probeHeadline(r).name, trace_clock: on ? k.clock : 'none' }, 1));
  if (!k?.available) return;
  summary(
    out,
    'nvprobe_read_latency_kernel_seconds',
    'QD1 random read latency on the kernel clock: syscall entry to exit of each read (slices tracing only those two events), as traced',
    labels,
    k.total.latency,
  );
  if (k.native) {
    gauge(
      out,
      'nvprobe_syscall_boundary_seconds',
      "added to the kernel window for the headline: the syscall's entry and exit, measured with the engine's empty call",
      labels,
      k.native.boundaryUs / 1e6,
    );
    gauge(
      out,
      'nvprobe_tracing_in_window_seconds',
      "taken off the kernel window for the headline: tracing's own cost inside sys_enter → sys_exit, measured with the engine's empty call",
      labels,
      k.native.inWindowUs / 1e6,
    );
  }
  const ph = k.phases;
  if (ph) {
    const family = 'nvprobe_read_phase_latency_seconds';
    header(
      out,
      family,
      'QD1 read latency per phase on the kernel clock (slices with every event on; inside the syscall window by design, the boundary is in no phase): submit = syscall entry to request issue, device = issue to completion (device and host), completion = completion to syscall exit',
      'summary',
    );
    for (const { phase, key } of PHASES) summarySamples(out, family, { ...labels, phase }, ph[key].latency);
    // The split a support case starts from, one family per side with the same labels: guest side =
    // submit + completion → return (what tuning inside this guest can act on), host side = the
    // device and host phase (issue → completion: the virtual device, the host and its storage).
    summary(out, 'nvprobe_read_guest_side_latency_seconds', "per read, the time this guest's kernel spends (submit plus completion to return), on the kernel clock", labels, ph.guestSide);
    summary(
      out,
      'nvprobe_read_host_side_latency_seconds',
      'per read, the time outside this guest: the device and host phase (request issue to completion: the virtual device, the host and its storage), on the kernel clock; the same reads as the guest side',
      labels,
      ph.device.latency,
    );
  }
  const o = k.overhead;
  const cost: string[] = [];
  if (o.perIoUs !== null) cost.push(sample('nvprobe_tracing_overhead_seconds', { ...labels, events: k.totalFrom === 'all-events' ? 'all' : 'syscall' }, o.perIoUs / 1e6));
  if (k.totalFrom === 'syscall-events' && o.phaseSlices?.perIoUs != null) cost.push(sample('nvprobe_tracing_overhead_seconds', { ...labels, events: 'all' }, o.phaseSlices.perIoUs / 1e6));
  if (cost.length > 0) {
    header(out, 'nvprobe_tracing_overhead_seconds', 'added per read by the tracing itself (process-timed median with events on minus off), by which events were on', 'gauge');
    out.push(...cost);
  }
  gauge(out, 'nvprobe_trace_lost_events', 'events the trace ring buffers lost during the run (0 when every traced read was timed)', labels, k.lostEvents);
}

/**
 * What the reads cost in CPU and how much of the vCPUs the host took (result.cpu): nvprobe's own
 * time per read by mode, the vCPUs' busy and polling shares, each vCPU's steal share and steal per
 * read; the idle polling share after the reads. Families without a value are left out.
 */
function cpuCost(out: string[], r: ProbeReport, labels: Record<string, string>): void {
  const c = r.result.cpu;
  if (c) {
    if (c.perReadUs) {
      header(
        out,
        'nvprobe_read_cpu_seconds',
        "nvprobe's own CPU time per measured read (all its threads), by mode; system includes the kernel tracer's work per read where the kernel clock ran",
        'gauge',
      );
      out.push(sample('nvprobe_read_cpu_seconds', { ...labels, mode: 'user' }, c.perReadUs.user / 1e6), sample('nvprobe_read_cpu_seconds', { ...labels, mode: 'system' }, c.perReadUs.system / 1e6));
    }
    gauge(
      out,
      'nvprobe_probe_cpu_busy_ratio',
      "share of all the vCPUs' time in use during the measured reads, 0 to 1: busy in /proc/stat (user, nice, system, irq, softirq) plus polling in the cpuidle POLL state (idle to the guest, busy to the host); anything else running counts too",
      labels,
      c.busyShare,
    );
    if (c.pollVcpus !== null && c.vcpus.length > 0) {
      gauge(out, 'nvprobe_probe_cpu_polling_ratio', "share of all the vCPUs' time spent in the cpuidle POLL state during the measured reads, 0 to 1", labels, c.pollVcpus / c.vcpus.length);
    }
    header(
      out,
      'nvprobe_probe_vcpu_steal_ratio',
      "share of each vCPU's time during the measured reads that the host kept it off a physical CPU while it was runnable (steal in /proc/stat), 0 to 1; at QD1, from 0.01 on any vCPU the host sets the p99",
      'gauge',
    );
    for (const v of c.vcpus) out.push(sample('nvprobe_probe_vcpu_steal_ratio', { ...labels, cpu: String(v.cpu) }, v.steal));
    gauge(
      out,
      'nvprobe_read_steal_seconds',
      "steal per measured read: the vCPUs' steal time during the reads divided by the reads; at QD1 an upper bound of the host's wait in each read",
      labels,
      c.stealPerReadUs / 1e6,
    );
  }
  const idle = r.result.idlePollShare;
  if (typeof idle === 'number') {
    gauge(
      out,
      'nvprobe_probe_idle_cpu_polling_ratio',
      "share of all the vCPUs' time spent in the cpuidle POLL state in an idle window right after the reads, 0 to 1: what halt polling costs while the guest has nothing to do",
      labels,
      idle,
    );
  }
}

/** Every verdict `nvprobe verify` can record: one sample each, 1 for the last one (an enum gauge). */
const VERDICTS: ReadonlyArray<Verdict['verdict']> = ['kept', 'reverted-no-gain', 'reverted-too-noisy', 'reverted-host-changed', 'reverted-not-in-effect', 'reverted-boot-bound', 'measure-failed'];

/**
 * The tuning state of the machine (the state dir, read as `nvprobe status` reads it): machine-wide,
 * so without the device/engine labels. The verdict families only once a verification has run.
 */
function tuneState(out: string[], s: TuneState): void {
  header(
    out,
    'nvprobe_tune_changes',
    'settings nvprobe tune keeps in effect (outstanding in its journal), by live state: applied (the live value is what nvprobe wrote), drifted (changed since), unknown (not readable, or a command)',
    'gauge',
  );
  for (const state of ['applied', 'drifted', 'unknown'] as const) out.push(sample('nvprobe_tune_changes', { state }, s.changes[state]));
  gauge(out, 'nvprobe_tune_verification_pending', '1 while a verification armed by tune --persist has not run yet (nvprobe verify at the next boot)', {}, s.pending ? 1 : 0);
  gauge(
    out,
    'nvprobe_tune_reboot_required',
    '1 when tune --persist wrote changes that take effect only after a reboot and the machine has not rebooted since (as `nvprobe status` says; after the reboot only the verification is pending)',
    {},
    s.pending?.rebootRequired ? 1 : 0,
  );
  if (s.lastRunAt !== null) gauge(out, 'nvprobe_tune_last_run_timestamp_seconds', 'when the newest saved tune run started, seconds since the Unix epoch', {}, s.lastRunAt);
  if (s.lastRun) lastRun(out, s.lastRun);
  const v = s.lastVerdict;
  if (!v) return;
  header(out, 'nvprobe_tune_last_verdict', 'the verdict of the last boot-time verification (nvprobe verify): 1 for the verdict it recorded, 0 for the others', 'gauge');
  for (const verdict of VERDICTS) out.push(sample('nvprobe_tune_last_verdict', { verdict }, v.verdict === verdict ? 1 : 0));
  const at = Date.parse(v.at);
  if (Number.isFinite(at)) gauge(out, 'nvprobe_tune_last_verdict_timestamp_seconds', 'when the last verification recorded its verdict, seconds since the Unix epoch', {}, at / 1000);
  const p50: string[] = [];
  if (Number.isFinite(v.baselineMedianP50Us)) p50.push(sample('nvprobe_tune_last_verdict_p50_seconds', { stage: 'baseline' }, v.baselineMedianP50Us / 1e6));
  if (v.afterMedianP50Us !== null && Number.isFinite(v.afterMedianP50Us)) p50.push(sample('nvprobe_tune_last_verdict_p50_seconds', { stage: 'after' }, v.afterMedianP50Us / 1e6));
  if (p50.length > 0) {
    header(
      out,
      'nvprobe_tune_last_verdict_p50_seconds',
      "the last verification's median p50 read latency (nvprobe's per-call cost subtracted, like nvprobe_read_latency_seconds): baseline = saved by tune --persist before the reboot, after = measured by verify after it",
      'gauge',
    );
    out.push(...p50);
  }
}

/** The newest measuring tune run: final against original (interleaved at its end) and how its decisions came out. */
function lastRun(out: string[], r: LastRun): void {
  header(
    out,
    'nvprobe_tune_last_run_p50_seconds',
    "the newest tune run's p50 read latency (per-call cost subtracted) with the original settings and with the final ones, measured interleaved at the end of the run (the same settings twice when nothing was kept)",
    'gauge',
  );
  out.push(sample('nvprobe_tune_last_run_p50_seconds', { settings: 'original' }, r.p50OriginalUs / 1e6), sample('nvprobe_tune_last_run_p50_seconds', { settings: 'final' }, r.p50FinalUs / 1e6));
  if (r.final) {
    header(out, 'nvprobe_tune_last_run_p50_ratio', "final over original p50 in the newest tune run that kept a change: the estimate and its 96 % interval's ends", 'gauge');
    out.push(sample('nvprobe_tune_last_run_p50_ratio', { bound: 'estimate' }, r.final.ratio));
    if (r.final.lower !== null) out.push(sample('nvprobe_tune_last_run_p50_ratio', { bound: 'lower' }, r.final.lower));
    if (r.final.upper !== null) out.push(sample('nvprobe_tune_last_run_p50_ratio', { bound: 'upper' }, r.final.upper));
  }
  const price = (family: string, help: string, pick: (p: LastRun['price']['original']) => number | null) => {
    const got = (['original', 'final'] as const).map((k) => [k, pick(r.price[k])] as const).filter(([, v]) => v !== null);
    if (!got.length) return;
    header(out, family, help, 'gauge');
    for (const [settings, v] of got) out.push(sample(family, { settings }, v!));
  };
  price(
    'nvprobe_tune_last_run_busy_share',
    "the newest tune run's price: the vCPUs' busy share (with time polling in the POLL idle state) during the reads, original and final settings, from the same closing blocks as the p50",
    (p) => p.busyShare,
  );
  price('nvprobe_tune_last_run_idle_poll_share', "the newest tune run's price while idle: the share of a vCPU spent polling in an idle window, original and final settings", (p) => p.idlePollShare);
  price('nvprobe_tune_last_run_cpu_seconds_per_read', "nvprobe's own CPU time (user + system) per read in the newest tune run's closing blocks, original and final settings", (p) =>
    p.cpuPerReadUs === null ? null : p.cpuPerReadUs / 1e6,
  );
  header(out, 'nvprobe_tune_last_run_changes', "the newest tune run's changes by outcome: gain (kept), prerequisite (kept), no-gain, slower, too-noisy (reverted), skipped (budget)", 'gauge');
  for (const o of ['gain', 'prerequisite', 'no-gain', 'slower', 'too-noisy', 'skipped']) out.push(sample('nvprobe_tune_last_run_changes', { outcome: o }, r.outcomes[o] ?? 0));
}

function summary(out: string[], name: string, help: string, labels: Record<string, string>, s: LatencySummary): void {
  header(out, name, help, 'summary');
  summarySamples(out, name, labels, s);
}

function summarySamples(out: string[], name: string, labels: Record<string, string>, s: LatencySummary): void {
  for (const p of PERCENTILES) out.push(sample(name, { ...labels, quantile: formatValue(p / 100) }, s.percentilesUs[percentileKey(p)] / 1e6));
  out.push(sample(`${name}_sum`, labels, (s.meanUs * s.count) / 1e6));
  out.push(sample(`${name}_count`, labels, s.count));
}

function gauge(out: string[], name: string, help: string, labels: Record<string, string>, value: number): void {
  header(out, name, help, 'gauge');
  out.push(sample(name, labels, value));
}

function header(out: string[], name: string, help: string, type: 'gauge' | 'summary'): void {
  out.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
}

function sample(name: string, labels: Record<string, string>, value: number): string {
  const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return `${name}${l.length ? `{${l.join(',')}}` : ''} ${formatValue(value)}`;
}

/**
 * Label values: backslash, double quote and line feed escaped, as the exposition format requires
 * (\\, \", \n are its only escapes). Any other control character (a device path with CR or ESC in
 * it) is first made the visible text \xNN / \uNNNN (terminalSafe), whose backslash is then escaped:
 * a valid value that the terminal escaping of the whole text leaves alone.
 */
export function escapeLabelValue(v: string): string {
  return terminalSafe(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text: backslash and line feed escaped. */
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(Number(v.toPrecision(15))); // drop binary noise (1.2340000000000001e-5)
}

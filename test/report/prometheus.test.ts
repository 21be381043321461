import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPrometheus } from '../../src/report/prometheus.js';
import type { ProbeReport } from '../../src/contracts/probe-document.js';
import { probeHeadline } from '../../src/measure/headline.js';
import { runCli } from '../helpers/cli.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';
import { parsePrometheusText, type PromFamily } from '../helpers/prometheus-text.js';
import { nvprobeInstances, restoreTracefs, tracefsMounted, tracingUnavailable } from '../helpers/tracefs-state.js';

let tmp: ReturnType<typeof diskTempDir>;
let file: string;
beforeAll(() => {
  tmp = diskTempDir();
  file = join(tmp.dir, 'target.dat');
  writeOffsetFile(file, 4096); // 16 MiB
});
afterAll(() => tmp.remove());

const QUANTILES = ['0.01', '0.05', '0.1', '0.5', '0.9', '0.95', '0.99', '0.999', '0.9999'];

function family(fams: Map<string, PromFamily>, name: string): PromFamily {
  const f = fams.get(name);
  expect(f, `family ${name}`).toBeDefined();
  return f!;
}

describe('nvprobe probe --format prometheus', () => {
  it('-o FILE: a textfile-collector file that parses back, in seconds, consistent with the run', async () => {
    const out = join(tmp.dir, 'metrics', 'nvprobe.prom');
    const dir = join(tmp.dir, 'metrics');
    mkdirSync(dir);
    writeFileSync(out, 'stale\n'); // replaced, not appended to
    const r = await runCli(['probe', file, '--engine', 'psync2', '--ios', '1500', '--ramp', '0', '--format', 'prometheus', '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readdirSync(dir)).toEqual(['nvprobe.prom']); // no temp file left beside it
    expect(statSync(out).mode & 0o777).toBe(0o644);
    const fams = parsePrometheusText(readFileSync(out, 'utf8'));

    const lat = family(fams, 'nvprobe_read_latency_seconds');
    expect(lat.type).toBe('summary');
    expect(lat.help.length).toBeGreaterThan(10);
    const q = lat.samples.filter((s) => s.name === 'nvprobe_read_latency_seconds');
    expect(q.map((s) => s.labels.quantile)).toEqual(QUANTILES);
    for (const s of lat.samples) expect(s.labels).toMatchObject({ engine: 'psync2', hipri: 'true' });
    expect(q[0]!.labels.device!.length).toBeGreaterThan(0);
    const values = q.map((s) => s.value);
    expect(values).toEqual([...values].sort((a, b) => a - b)); // quantiles never decrease
    expect(values[3]!).toBeGreaterThan(1e-7); // a p50 in seconds: above 100 ns...
    expect(values[3]!).toBeLessThan(0.1); // ...and not in microseconds
    const count = lat.samples.find((s) => s.name === 'nvprobe_read_latency_seconds_count')!.value;
    const sum = lat.samples.find((s) => s.name === 'nvprobe_read_latency_seconds_sum')!.value;
    expect(sum / count).toBeGreaterThanOrEqual(values[0]!);
    expect(sum / count).toBeLessThanOrEqual(values[8]! + 1e-9);
    // The headline counts the reads its series covers: all of them on the process clock, the
    // syscall-only slices' reads on the kernel clock.
    const clock = family(fams, 'nvprobe_read_latency_clock_info').samples[0]!.labels.clock;
    if (clock === 'calibrated') expect(count).toBe(1500);
    else expect(clock).toBe('native');

    const cal = family(fams, 'nvprobe_read_latency_calibrated_seconds').samples;
    expect(cal.find((s) => s.name === 'nvprobe_read_latency_calibrated_seconds_count')!.value).toBe(1500);
    const raw = family(fams, 'nvprobe_read_latency_raw_seconds').samples.filter((s) => s.labels.quantile === '0.5')[0]!.value;
    const overhead = family(fams, 'nvprobe_ffi_overhead_seconds').samples[0]!.value;
    expect(overhead).toBeGreaterThan(0);
    expect(raw - overhead).toBeCloseTo(cal.find((s) => s.labels.quantile === '0.5')!.value, 8); // calibrated = raw - overhead, in seconds
    const iops = family(fams, 'nvprobe_read_iops');
    expect(iops.type).toBe('gauge');
    expect(iops.samples[0]!.value).toBeGreaterThan(0);
    const ts = family(fams, 'nvprobe_probe_timestamp_seconds').samples[0]!.value;
    expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(120);
    expect(family(fams, 'nvprobe_build_info').samples[0]!.labels.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('prints to stdout without -o; --json and --format json are the same document kind', async () => {
    const r = await runCli(['probe', file, '--ios', '300', '--ramp', '0', '--format', 'prometheus']);
    expect(r.code).toBe(0);
    expect(parsePrometheusText(r.stdout).get('nvprobe_read_latency_seconds')!.samples).toHaveLength(QUANTILES.length + 2);
    const j = JSON.parse((await runCli(['probe', file, '--ios', '100', '--ramp', '0', '--format', 'json'])).stdout);
    expect(j.kind).toBe('nvprobe.probe');
  });

  it('refuses -o into a missing directory before measuring, and --json with another --format', async () => {
    const r = await runCli(['probe', file, '--ios', '100', '--format', 'prometheus', '-o', join(tmp.dir, 'nope', 'x.prom')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^nvprobe: cannot write .*does not exist/);
    const c = await runCli(['probe', file, '--json', '--format', 'prometheus']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/^nvprobe: --json contradicts --format prometheus/);
    const bad = await runCli(['probe', file, '--format', 'xml']);
    expect(bad.code).toBe(2);
  });

  it('escapes backslash, double quote and line feed in label values so they parse back unchanged', async () => {
    const r = await runCli(['probe', file, '--ios', '200', '--ramp', '0', '--json']);
    const report = JSON.parse(r.stdout) as ProbeReport;
    const odd = 'dir\\with "quotes"\nand a line feed';
    report.target = { ...report.target, disk: null, path: odd };
    report.nvprobeVersion = '1.0.0-"rc"\\1';
    const text = renderPrometheus(report);
    expect(text.split('\n').filter((l) => l.startsWith('nvprobe_read_latency_seconds{')).length).toBe(QUANTILES.length);
    const fams = parsePrometheusText(text);
    for (const f of fams.values()) {
      expect(f.help).not.toBe('');
      for (const s of f.samples) if (f.name !== 'nvprobe_build_info') expect(s.labels.device).toBe(odd);
    }
    expect(fams.get('nvprobe_build_info')!.samples[0]!.labels.version).toBe('1.0.0-"rc"\\1');
    expect(fams.get('nvprobe_read_latency_seconds')!.samples.find((s) => s.labels.quantile === '0.5')!.value).toBeCloseTo(probeHeadline(report).latency.percentilesUs.p50 / 1e6, 12);
  });

  it('what the reads cost in CPU: per read by mode, busy and polling shares, steal per vCPU and per read, as the JSON document says', async () => {
    const r = await runCli(['probe', file, '--ios', '1000', '--ramp', '0', '--json']);
    const report = JSON.parse(r.stdout) as ProbeReport;
    const cpu = report.result.cpu!;
    const fams = parsePrometheusText(renderPrometheus(report));
    const perRead = family(fams, 'nvprobe_read_cpu_seconds');
    expect(perRead.type).toBe('gauge');
    expect(perRead.samples.map((x) => x.labels.mode)).toEqual(['user', 'system']);
    expect(perRead.samples[0]!.value).toBeCloseTo(cpu.perReadUs!.user / 1e6, 12);
    expect(perRead.samples[1]!.value).toBeCloseTo(cpu.perReadUs!.system / 1e6, 12);
    expect(family(fams, 'nvprobe_probe_cpu_busy_ratio').samples[0]!.value).toBe(cpu.busyShare);
    const steal = family(fams, 'nvprobe_probe_vcpu_steal_ratio').samples;
    expect(steal.map((x) => [x.labels.cpu, x.value])).toEqual(cpu.vcpus.map((v) => [String(v.cpu), v.steal]));
    expect(family(fams, 'nvprobe_read_steal_seconds').samples[0]!.value).toBeCloseTo(cpu.stealPerReadUs / 1e6, 12);
    // Polling only where a POLL state exists, the idle share only where the idle window ran.
    expect(fams.has('nvprobe_probe_cpu_polling_ratio')).toBe(cpu.pollVcpus !== null);
    expect(fams.has('nvprobe_probe_idle_cpu_polling_ratio')).toBe(report.result.idlePollShare !== null);
    // A document without CPU figures (older versions) has none of these families, and still parses.
    const older = parsePrometheusText(renderPrometheus({ ...report, result: { ...report.result, cpu: undefined, idlePollShare: undefined } }));
    expect([...older.keys()].filter((n) => /cpu|steal/.test(n))).toEqual([]);
  });

  it("with the kernel clock: the total, per-phase summaries, the guest and host sides, which clock, and tracing's cost", async (ctx) => {
    const why = tracingUnavailable();
    if (why) ctx.skip(why);
    const wasMounted = tracefsMounted();
    try {
      const r = await runCli(['probe', file, '--engine', 'psync2', '--duration', '1s', '--ramp', '0', '--format', 'prometheus']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const fams = parsePrometheusText(r.stdout);
      const info = family(fams, 'nvprobe_read_latency_clock_info');
      expect(info.type).toBe('gauge');
      expect(info.samples[0]!.labels).toMatchObject({ clock: 'native', trace_clock: 'mono', engine: 'psync2' });
      expect(info.samples[0]!.value).toBe(1);
      const kernel = family(fams, 'nvprobe_read_latency_kernel_seconds');
      expect(kernel.type).toBe('summary');
      const kp50 = kernel.samples.find((s) => s.labels.quantile === '0.5')!.value;

      const ph = family(fams, 'nvprobe_read_phase_latency_seconds');
      expect(ph.type).toBe('summary');
      const byPhase = (phase: string) => ph.samples.filter((s) => s.labels.phase === phase);
      for (const phase of ['submit', 'device', 'completion']) {
        const q = byPhase(phase).filter((s) => s.name === ph.name);
        expect(q.map((s) => s.labels.quantile)).toEqual(QUANTILES);
        const v = q.map((s) => s.value);
        expect(v).toEqual([...v].sort((a, b) => a - b));
        expect(v[0]!).toBeGreaterThanOrEqual(0);
        expect(byPhase(phase).find((s) => s.name === `${ph.name}_count`)!.value).toBeGreaterThan(500);
      }
      // Every read of the phases is counted once per phase; the device phase is the bulk of a ~50 µs read
      // and a phase's median never exceeds the whole read's p99.
      const counts = ['submit', 'device', 'completion'].map((p) => byPhase(p).find((s) => s.name === `${ph.name}_count`)!.value);
      expect(new Set(counts).size).toBe(1);
      const p50 = (phase: string) => byPhase(phase).find((s) => s.labels.quantile === '0.5')!.value;
      expect(p50('device')).toBeGreaterThan(p50('submit'));
      expect(p50('device')).toBeLessThan(kernel.samples.find((s) => s.labels.quantile === '0.99')!.value);
      // Means add up: the phases' sums make the phase-slice reads' total, close to the headline's mean.
      const sums = ['submit', 'device', 'completion'].map((p) => byPhase(p).find((s) => s.name === `${ph.name}_sum`)!.value);
      const phaseMean = sums.reduce((a, b) => a + b, 0) / counts[0]!;
      expect(phaseMean).toBeGreaterThan(kp50 * 0.5);
      expect(phaseMean).toBeLessThan(kp50 * 3);
      const guest = family(fams, 'nvprobe_read_guest_side_latency_seconds');
      expect(guest.samples.find((s) => s.name === `${guest.name}_count`)!.value).toBe(counts[0]);
      const guestMean = guest.samples.find((s) => s.name === `${guest.name}_sum`)!.value / counts[0]!;
      // Each sum is printed rounded to the ns: their means agree to a few ns, not exactly.
      expect(Math.abs(guestMean - (sums[0]! + sums[2]!) / counts[0]!)).toBeLessThan(5e-9);
      // The host side is the device and host phase, sample for sample, with the guest side's labels:
      // the two sides of one split.
      const host = family(fams, 'nvprobe_read_host_side_latency_seconds');
      expect(host.type).toBe('summary');
      const strip = (s: { name: string; labels: Record<string, string>; value: number }, from: string) => ({ name: s.name.replace(from, ''), labels: s.labels, value: s.value });
      expect(host.samples.map((s) => strip(s, host.name))).toEqual(
        byPhase('device').map((s) => {
          const { phase, ...labels } = s.labels;
          return strip({ ...s, labels }, ph.name);
        }),
      );
      expect(host.samples.map((s) => s.labels)).toEqual(guest.samples.map((s) => s.labels));

      const cost = family(fams, 'nvprobe_tracing_overhead_seconds');
      expect(cost.samples.map((s) => s.labels.events).sort()).toEqual(['all', 'syscall']);
      for (const c of cost.samples) expect(Math.abs(c.value)).toBeLessThan(1e-3); // seconds: microseconds, not µs as a number
      expect(family(fams, 'nvprobe_trace_lost_events').samples[0]!.value).toBe(0);
    } finally {
      restoreTracefs(wasMounted);
    }
    expect(nvprobeInstances()).toEqual([]);
  }, 60_000);

  it('--no-trace: the clock info says calibrated and no kernel-clock family is written', async () => {
    const r = await runCli(['probe', file, '--ios', '300', '--ramp', '0', '--no-trace', '--format', 'prometheus']);
    expect(r.code).toBe(0);
    const fams = parsePrometheusText(r.stdout);
    expect(family(fams, 'nvprobe_read_latency_clock_info').samples[0]!.labels).toMatchObject({ clock: 'calibrated', trace_clock: 'none' });
    for (const name of [
      'nvprobe_read_latency_kernel_seconds',
      'nvprobe_read_phase_latency_seconds',
      'nvprobe_read_guest_side_latency_seconds',
      'nvprobe_read_host_side_latency_seconds',
      'nvprobe_tracing_overhead_seconds',
    ])
      expect(fams.has(name)).toBe(false);
  });
});

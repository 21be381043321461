import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPrometheus } from '../../src/report/prometheus.js';
import type { ProbeReport } from '../../src/contracts/probe-document.js';
import { runCli } from '../helpers/cli.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';
import { parsePrometheusText, type PromFamily } from '../helpers/prometheus-text.js';

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
  it('-o FILE: a textfile-collector file that parses back, in seconds, consistent with the run', () => {
    const out = join(tmp.dir, 'metrics', 'nvprobe.prom');
    const dir = join(tmp.dir, 'metrics');
    mkdirSync(dir);
    writeFileSync(out, 'stale\n'); // replaced, not appended to
    const r = runCli(['probe', file, '--engine', 'psync2', '--ios', '1500', '--ramp', '0', '--format', 'prometheus', '-o', out]);
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
    expect(count).toBe(1500);
    expect(sum / count).toBeGreaterThanOrEqual(values[0]!);
    expect(sum / count).toBeLessThanOrEqual(values[8]! + 1e-9);

    const raw = family(fams, 'nvprobe_read_latency_raw_seconds').samples.filter((s) => s.labels.quantile === '0.5')[0]!.value;
    const overhead = family(fams, 'nvprobe_ffi_overhead_seconds').samples[0]!.value;
    expect(overhead).toBeGreaterThan(0);
    expect(raw - overhead).toBeCloseTo(values[3]!, 8); // corrected = raw - overhead, in seconds
    const iops = family(fams, 'nvprobe_read_iops');
    expect(iops.type).toBe('gauge');
    expect(iops.samples[0]!.value).toBeGreaterThan(0);
    const ts = family(fams, 'nvprobe_probe_timestamp_seconds').samples[0]!.value;
    expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(120);
    expect(family(fams, 'nvprobe_build_info').samples[0]!.labels.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('prints to stdout without -o; --json and --format json are the same document kind', () => {
    const r = runCli(['probe', file, '--ios', '300', '--ramp', '0', '--format', 'prometheus']);
    expect(r.code).toBe(0);
    expect(parsePrometheusText(r.stdout).get('nvprobe_read_latency_seconds')!.samples).toHaveLength(QUANTILES.length + 2);
    const j = JSON.parse(runCli(['probe', file, '--ios', '100', '--ramp', '0', '--format', 'json']).stdout);
    expect(j.kind).toBe('nvprobe.probe');
  });

  it('refuses -o into a missing directory before measuring, and --json with another --format', () => {
    const r = runCli(['probe', file, '--ios', '100', '--format', 'prometheus', '-o', join(tmp.dir, 'nope', 'x.prom')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^nvprobe: cannot write .*does not exist/);
    const c = runCli(['probe', file, '--json', '--format', 'prometheus']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/^nvprobe: --json contradicts --format prometheus/);
    const bad = runCli(['probe', file, '--format', 'xml']);
    expect(bad.code).toBe(2);
  });

  it('escapes backslash, double quote and line feed in label values so they parse back unchanged', () => {
    const r = runCli(['probe', file, '--ios', '200', '--ramp', '0', '--json']);
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
    expect(fams.get('nvprobe_read_latency_seconds')!.samples.find((s) => s.labels.quantile === '0.5')!.value).toBeCloseTo(report.result.corrected.percentilesUs.p50 / 1e6, 12);
  });
});

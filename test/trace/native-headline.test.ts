// The headline on a real traced probe: the native estimate (kernel window + syscall boundary −
// tracing's in-window cost), each part measured in the run, and the same figures in every output.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeReport } from '../../src/contracts/probe-document.js';
import { probeHeadline } from '../../src/measure/headline.js';
import { renderPrometheus } from '../../src/report/prometheus.js';
import { fmtUs } from '../../src/report/format.js';
import { runCli } from '../helpers/cli.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { nvprobeInstances, restoreTracefs, tracefsMounted, tracingUnavailable } from '../helpers/tracefs-state.js';

let tmp: ReturnType<typeof diskTempDir>;
let file: string;
beforeAll(() => {
  tmp = diskTempDir('nvprobe-native-');
  file = join(tmp.dir, 'data.dat');
  writeOffsetFile(file, 8192);
});
afterAll(() => tmp.remove());

describe('the native estimate as the headline', () => {
  it('adds the measured boundary and takes off the measured in-window cost, read by read; text, HTML and Prometheus show the same series', async (ctx) => {
    const why = tracingUnavailable();
    if (why) ctx.skip(why);
    const wasMounted = tracefsMounted();
    let doc: ProbeReport;
    try {
      const r = await runCli(['probe', file, '--engine', 'psync2', '--duration', '1500ms', '--ramp', '100ms', '--json']);
      expect(r.code, r.stderr).toBe(0);
      doc = JSON.parse(r.stdout) as ProbeReport;
    } finally {
      restoreTracefs(wasMounted);
    }
    expect(nvprobeInstances()).toEqual([]);
    const k = doc.kernelClock!;
    if (!k.available) throw new Error(k.reason);
    expect(doc.headline, k.nativeReason).toBe('native');
    const n = k.native!;
    // Both parts measured in this run, with an interval.
    expect(n.calls).toBe(3000);
    expect(n.boundaryUs).toBeGreaterThanOrEqual(0);
    expect(n.inWindowUs).toBeGreaterThan(0); // a traced empty call still spends time between its two events
    expect(n.inWindowUs).toBeLessThan(n.windowP50Us);
    expect(n.shiftUs).toBeCloseTo(n.boundaryUs - n.inWindowUs, 3);
    expect(n.uncertaintyUs).toBeCloseTo(Math.hypot(n.boundaryCiUs, n.inWindowCiUs), 2);
    // A constant shift of every read of the traced window: same reads, quantiles moved by it.
    expect(n.total.latency.count).toBe(k.total.latency.count);
    expect(n.windowP50Us).toBe(k.total.latency.percentilesUs.p50);
    for (const p of ['p1', 'p50', 'p99'] as const) expect(n.total.latency.percentilesUs[p]).toBeCloseTo(k.total.latency.percentilesUs[p] + n.shiftUs, 2);

    const h = probeHeadline(doc);
    expect(h.name).toBe('native');
    const p50 = n.total.latency.percentilesUs.p50;
    // Text (report of the saved document): the first latency row is the headline, and one line says how it is made.
    const saved = join(tmp.dir, 'probe.json');
    writeFileSync(saved, JSON.stringify(doc));
    const text = await runCli(['report', saved]);
    expect(text.code, text.stderr).toBe(0);
    const rows = text.stdout.split('\n');
    const head = rows.findIndex((l) => l.startsWith('latency µs'));
    expect(rows[head + 1]).toMatch(/^read latency \(native estimate\)/);
    expect(rows[head + 1]!.split(/\s{2,}/)[5]).toBe(fmtUs(p50));
    expect(text.stdout).toContain(`headline  native estimate p50 ${fmtUs(p50)} µs (± ${fmtUs(n.uncertaintyUs)}) = kernel window p50 ${fmtUs(n.windowP50Us)} + syscall boundary ${fmtUs(n.boundaryUs)}`);
    // HTML: the percentile table's row carries the same exact p50.
    const html = join(tmp.dir, 'probe.html');
    const rh = await runCli(['report', saved, '-o', html]);
    expect(rh.code, rh.stderr).toBe(0);
    expect(readFileSync(html, 'utf8')).toContain(`<tr><td>read latency (native estimate)</td><td class="num">${n.total.latency.count}</td><td class="num">${fmtUs(p50)}</td>`);
    // Prometheus: nvprobe_read_latency_seconds is that series, and says so.
    const fams = parsePrometheusText(renderPrometheus(doc));
    expect(fams.get('nvprobe_read_latency_seconds')!.samples.find((s) => s.labels.quantile === '0.5')!.value).toBeCloseTo(p50 / 1e6, 12);
    expect(fams.get('nvprobe_read_latency_clock_info')!.samples[0]!.labels.clock).toBe('native');
    expect(fams.get('nvprobe_syscall_boundary_seconds')!.samples[0]!.value).toBeCloseTo(n.boundaryUs / 1e6, 12);
  }, 60_000);
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CpuCost } from '../../src/contracts/cpu-cost.js';
import type { ProbeReport } from '../../src/contracts/probe-document.js';
import { cpuWindow, readCpuTimes } from '../../src/host/cpu-times.js';
import { Root } from '../../src/host/root.js';
import { stealAdvice } from '../../src/report/cpu-cost-text.js';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { renderProbeText } from '../../src/report/probe-report.js';
import { reportDocument } from '../../src/report/report-document.js';
import type { ReportModel } from '../../src/report/report-model.js';
import { summarizeCpu } from '../../src/stats/cpu-cost.js';
import { runCli } from '../helpers/cli.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';

// The CPU line, the host advice line and the per-vCPU table, in probe text, the HTML page and
// report --json: on a real probe document of this machine, and with the CPU figures of a window
// captured on a KVM guest whose steal was raised (a state this machine cannot produce on demand).

const CPU_TIMES = join(import.meta.dirname, '../fixtures/cpu-times');
function captured(name: string): CpuCost {
  const dir = join(CPU_TIMES, name);
  const { wallUs } = JSON.parse(readFileSync(join(dir, 'window.json'), 'utf8')) as { wallUs: number };
  return summarizeCpu(cpuWindow(readCpuTimes(new Root(join(dir, 't0')), 0), readCpuTimes(new Root(join(dir, 't1')), wallUs), 1000));
}

let tmp: ReturnType<typeof diskTempDir>;
let probe: ProbeReport;
beforeAll(async () => {
  tmp = diskTempDir('nvprobe-cpu-text-');
  writeOffsetFile(join(tmp.dir, 'target'), 4096);
  const r = await runCli(['probe', join(tmp.dir, 'target'), '--ios', '1000', '--ramp', '0', '--json']);
  if (r.code !== 0) throw new Error(r.stderr);
  probe = JSON.parse(r.stdout);
}, 60_000);
afterAll(() => tmp.remove());

const withCpu = (cpu: CpuCost | undefined, idle: number | null = 0.031): ProbeReport => ({ ...probe, result: { ...probe.result, cpu, idlePollShare: idle } });
const model = (p: ProbeReport): ReportModel => ({ source: 'p.json', sourceKind: 'probe', manifest: null, snapshot: null, findings: null, run: null, probe: p });

describe('the CPU line', () => {
  it('steal above 1 % on a vCPU: the share, which vCPU, per read, and one line of host advice after the CPU line', () => {
    const doc = withCpu(captured('kvm-haltpoll-steal-poll-edited'));
    const text = renderProbeText(doc, { histogram: false });
    // 41 of cpu1's 246 ticks were steal; cpu0 polled 0.4 s of the 2.06 s window.
    expect(text).toMatch(/^ {2}CPU {11}nvprobe's own CPU time not known; vCPUs \d+ % busy, 9\.7 % of it polling; 3\.1 % polling when idle; steal 17 % \(vCPU 1, the most\), 344\.1 µs per read$/m);
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.startsWith('  CPU '));
    expect(lines[at + 1]).toMatch(
      /^ {2}host advice {3}steal 17 % on vCPU 1 during the reads \(≥ 1\.0 %\): at QD1 the host's scheduler, not the device, sets the p99; ask the host for dedicated, pinned vCPUs \(rule vcpu-steal: `nvprobe rules show vcpu-steal` has the libvirt XML\)$/,
    );
    const verbose = renderProbeText(doc, { histogram: false, verbose: true });
    expect(verbose).toMatch(/^ {2}advice {4}steal 17 %/m);
    expect(verbose).toMatch(/^vCPU 1 +\d+ % +0 % +17 %$/m);
    expect(verbose).toMatch(/^ {2}busy and steal: \/proc\/stat ticks over 2\.06 s \(one tick = 0\.48 % of a vCPU\)/m);
  });

  it('the same advice in the HTML summary and report --json; the vCPU table beside the latency', () => {
    const doc = withCpu(captured('kvm-haltpoll-steal-poll-edited'));
    const html = renderHtmlReport(model(doc));
    expect(html).toMatch(/<li><strong>CPU<\/strong> \(<a href="#cpu">per vCPU<\/a>\): nvprobe&#39;s own CPU time not known; .*steal 17 % \(vCPU 1, the most\)/);
    expect(html).toMatch(/<li><strong>Steal<\/strong>: steal 17 % on vCPU 1 during the reads/);
    expect(html.indexOf('<h3 id="cpu">')).toBeGreaterThan(html.indexOf('<h2 id="latency">'));
    expect(html).toMatch(/<tr><td>1<\/td><td class="num">\d+ %<\/td><td class="num">0 %<\/td><td class="num">17 %<\/td><\/tr>/);
    const summary = reportDocument(model(doc)).summary;
    expect(summary.stealAdvice).toMatch(/^steal 17 % on vCPU 1/);
    expect(summary.cpu).toContain('steal 17 % (vCPU 1, the most)');
  });

  it('this machine: no advice below 1 %; tracing noted on system time; no POLL state, no polling words', () => {
    const cpu = probe.result.cpu!;
    const text = renderProbeText(probe, { histogram: false });
    expect(text.includes('host advice')).toBe(cpu.maxStealShare >= 0.01);
    expect(text.includes("(system includes tracing's per-read cost)")).toBe(probe.kernelClock?.available === true);
    const none = renderProbeText(withCpu(captured('kvm-no-cpuidle-edited'), null), { histogram: false });
    expect(none).toMatch(/^ {2}CPU {11}nvprobe's own CPU time not known; vCPUs \d+ % busy; steal 0 % on every vCPU$/m);
    expect(renderProbeText(withCpu(captured('kvm-no-cpuidle-edited'), null), { histogram: false, verbose: true })).toMatch(/polling: time in the cpuidle POLL state \(none here\)$/m);
  });

  it('a document without CPU figures (older versions): no CPU line, no table, no summary item', () => {
    const older = withCpu(undefined, null);
    expect(renderProbeText(older, { histogram: false })).not.toMatch(/^ {2}CPU /m);
    expect(renderProbeText(older, { histogram: false, verbose: true })).not.toMatch(/vCPU during the reads/);
    expect(renderHtmlReport(model(older))).not.toContain('id="cpu"');
    expect(reportDocument(model(older)).summary).toMatchObject({ cpu: null, stealAdvice: null });
  });

  it('a run of a second or less: one tick of steal already reaches 1 %, and the advice says to measure longer', () => {
    // 0.8 s: 80 ticks, one of them steal (1.25 %).
    const cpu = summarizeCpu({
      wallUs: 800_000,
      reads: 10_000,
      processUserUs: null,
      processSystemUs: null,
      vcpus: [{ cpu: 0, busyTicks: 40, idleTicks: 39, stealTicks: 1, totalTicks: 80, pollUs: null }],
    });
    expect(stealAdvice(cpu)).toContain('(one /proc/stat tick is 1.3 % of this short run: measure longer to be sure)');
    const longer = summarizeCpu({
      wallUs: 5_000_000,
      reads: 10_000,
      processUserUs: null,
      processSystemUs: null,
      vcpus: [{ cpu: 0, busyTicks: 200, idleTicks: 290, stealTicks: 10, totalTicks: 500, pollUs: null }],
    });
    expect(stealAdvice(longer)).not.toContain('measure longer');
    expect(stealAdvice({ ...longer, maxStealShare: 0.0099 })).toBeNull();
  });
});

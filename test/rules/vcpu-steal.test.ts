import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STEAL_ADVICE_SHARE } from '../../src/contracts/cpu-cost.js';
import type { Condition } from '../../src/contracts/rule-types.js';
import { detectSnapshot } from '../../src/detect/snapshot.js';
import { withRunSteal } from '../../src/detect/steal.js';
import { cpuWindow, readCpuTimes } from '../../src/host/cpu-times.js';
import { Root } from '../../src/host/root.js';
import { evaluateRules } from '../../src/rules/evaluate.js';
import { defaultRuleDirs, loadRules } from '../../src/rules/load.js';
import { summarizeCpu } from '../../src/stats/cpu-cost.js';
import { copyFixture, fixtureRoot, KVM_FIXTURE, removeTemp } from '../helpers/fixtures.js';
import { bareMetalTree } from '../helpers/guest-trees.js';

// The steal section of the Snapshot and the vcpu-steal rule, on the captured KVM guest: as
// captured (before nvprobe read /proc/stat), with the /proc/stat captured on the same kind of
// guest (test/fixtures/cpu-times), with that file's steal raised (a state this machine cannot
// produce on demand), and with a measured run's window put in as collect does.

const CPU_TIMES = join(import.meta.dirname, '../fixtures/cpu-times');
const rule = loadRules(defaultRuleDirs()).rules.find((r) => r.id === 'vcpu-steal')!;
const temps: string[] = [];
afterAll(() => temps.forEach(removeTemp));

/** The KVM tree with a captured /proc/stat in it, optionally with cpu1's steal ticks replaced. */
function kvmWithProcStat(cpu1Steal?: number): string {
  const dir = copyFixture(KVM_FIXTURE);
  temps.push(dir);
  const stat = join(dir, 'proc/stat');
  copyFileSync(join(CPU_TIMES, 'kvm-haltpoll-hog-cpu1/t1/proc/stat'), stat);
  if (cpu1Steal !== undefined) writeFileSync(stat, readFileSync(stat, 'utf8').replace(/^(cpu1(?: \d+){7}) \d+/m, `$1 ${cpu1Steal}`));
  return dir;
}
/** A captured window (two readings of a KVM guest 2.06 s apart), as a probe's CpuCost over 1000 reads. */
function runCost(name: string) {
  const dir = join(CPU_TIMES, name);
  const { wallUs } = JSON.parse(readFileSync(join(dir, 'window.json'), 'utf8')) as { wallUs: number };
  return summarizeCpu(cpuWindow(readCpuTimes(new Root(join(dir, 't0')), 0), readCpuTimes(new Root(join(dir, 't1')), wallUs), 1000));
}
const finding = (dir: string) => evaluateRules(detectSnapshot(new Root(dir)), [rule])[0]!;

// t1's cpu1 line: 1583449 221 265725 1757692 259449 0 50035 750 (user … steal).
const CPU1_OTHER_TICKS = 1583449 + 221 + 265725 + 1757692 + 259449 + 0 + 50035;

describe('steal in the Snapshot', () => {
  it('since boot from a captured /proc/stat: each vCPU steal over its ticks, to 0.1 %', () => {
    const s = detectSnapshot(new Root(kvmWithProcStat())).steal;
    expect(s.window).toBe('since-boot');
    expect(s.run).toBeNull();
    // cpu0 577 and cpu1 750 steal ticks of ~3.9 and ~3.9 million: 0.0 % both.
    expect(s.sinceBoot!.perCpu).toEqual([
      { cpu: 0, pct: 0 },
      { cpu: 1, pct: 0 },
    ]);
    expect(s.sinceBoot!.seconds).toBe(Math.round((1634181 + 233 + 152231 + 2077942 + 84523 + 3564 + 577) / 100));
    const raised = detectSnapshot(new Root(kvmWithProcStat(50_000))).steal;
    expect(raised.sinceBoot!.perCpu[1]!.pct).toBe(Math.round((1000 * 50_000) / (CPU1_OTHER_TICKS + 50_000)) / 10);
    expect(raised).toMatchObject({ window: 'since-boot', maxCpu: 1, maxPct: raised.sinceBoot!.perCpu[1]!.pct });
  });

  it('a tree captured before nvprobe read /proc/stat: unknown, not zero, and not listed as unreadable', () => {
    const snap = detectSnapshot(new Root(fixtureRoot(KVM_FIXTURE)));
    expect(snap.steal).toMatchObject({ window: null, maxPct: null, maxCpu: null, sinceBoot: null, run: null });
    expect(snap.unavailable).toEqual([]);
  });

  it("a measured run's window takes over the judged figure; since boot stays beside it", () => {
    const snap = withRunSteal(detectSnapshot(new Root(kvmWithProcStat())), runCost('kvm-haltpoll-steal-poll-edited'), "collect's probe");
    // 41 of cpu1's 246 ticks in the window were steal.
    expect(snap.steal).toMatchObject({ window: 'run', maxCpu: 1, maxPct: Math.round((10000 * 41) / 246) / 100, windowText: "during collect's probe, 2.1 s of reads" });
    expect(snap.steal.run).toMatchObject({ reads: 1000, seconds: 2.064 });
    expect(snap.steal.run!.perReadUs).toBeCloseTo(((41 / 246) * 2063951) / 1000, 0);
    expect(snap.steal.sinceBoot!.maxPct).toBe(0);
  });
});

describe('the vcpu-steal rule', () => {
  it('fires at the threshold probe uses for its advice line (1 % of a vCPU)', () => {
    const gte = (c: Condition): number[] => ('all' in c ? c.all.flatMap(gte) : 'field' in c && c.field === 'steal.maxPct' && c.op === 'gte' ? [c.value as number] : []);
    expect(gte(rule.check)).toEqual([STEAL_ADVICE_SHARE * 100]);
  });

  it('since boot above 1 %: host advice with pinned vCPUs in libvirt XML, the window named in title and evidence', () => {
    const f = finding(kvmWithProcStat(50_000));
    expect(f.status).toBe('advise');
    expect(f.title).toMatch(/^the host kept vCPU 1 off a physical CPU 1\.3 % of its time \(since boot, no measurement ran\)/);
    expect(f.evidence).toContainEqual({ field: 'steal.window', value: 'since-boot', source: expect.stringContaining('/proc/stat') });
    expect(f.evidence).toContainEqual({ field: 'steal.maxPct', value: 1.3, source: expect.stringContaining('/proc/stat') });
    expect(f.hostAdvice!.libvirtXml).toContain("<vcpu placement='static'>2</vcpu>");
    for (const el of ['<cputune>', "<vcpupin vcpu='0'", "<vcpupin vcpu='1'", '<emulatorpin', '<iothreadpin']) expect(f.hostAdvice!.libvirtXml).toContain(el);
    expect(f.rationale).toContain('fraction s of completions');
  });

  it('below 1 % since boot: fine, and says which window it read', () => {
    const f = finding(kvmWithProcStat());
    expect(f.status).toBe('ok');
    expect(f.title).toBe("vCPU steal at most 0 % of a vCPU's time (since boot, no measurement ran)");
  });

  it("a run's steal decides over since boot, both ways", () => {
    const high = evaluateRules(withRunSteal(detectSnapshot(new Root(kvmWithProcStat())), runCost('kvm-haltpoll-steal-poll-edited'), "collect's probe"), [rule])[0]!;
    expect(high.status).toBe('advise');
    expect(high.title).toContain("during collect's probe, 2.1 s of reads");
    expect(high.evidence).toContainEqual(expect.objectContaining({ field: 'steal.window', value: 'run' }));
    const low = evaluateRules(withRunSteal(detectSnapshot(new Root(kvmWithProcStat(50_000))), runCost('kvm-haltpoll-hog-cpu1'), "collect's probe"), [rule])[0]!;
    expect(low.status).toBe('ok');
  });

  it('unknown steal is not evaluated, not fine; bare metal has no host to ask', () => {
    expect(finding(fixtureRoot(KVM_FIXTURE))).toMatchObject({ status: 'ok', title: expect.stringMatching(/not evaluated, steal\.maxPct could not be read$/) });
    const bare = bareMetalTree();
    temps.push(bare);
    expect(finding(bare).status).toBe('n/a');
  });
});

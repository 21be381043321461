import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Root } from '../../src/host/root.js';
import { cpuWindow, readCpuTimes } from '../../src/host/cpu-times.js';
import { mergeCpuWindows, summarizeCpu } from '../../src/stats/cpu-cost.js';
import { idlePollShare } from '../../src/measure/idle-poll.js';

// The CPU-cost arithmetic on /proc/stat and cpuidle trees captured on a KVM guest (two readings,
// t0 and t1, around a known window), and on edited copies for the states this machine cannot give.

const FIXTURES = join(import.meta.dirname, '../fixtures/cpu-times');
function window(name: string, reads: number) {
  const dir = join(FIXTURES, name);
  const { wallUs } = JSON.parse(readFileSync(join(dir, 'window.json'), 'utf8')) as { wallUs: number };
  return cpuWindow(readCpuTimes(new Root(join(dir, 't0')), 0), readCpuTimes(new Root(join(dir, 't1')), wallUs), reads);
}

describe('CPU cost from captured trees', () => {
  it('a busy loop pinned to cpu1: cpu1 busy, steal and polling zero here, no process time from a tree', () => {
    const c = summarizeCpu(window('kvm-haltpoll-hog-cpu1', 1000));
    // /proc/stat t0 → t1: cpu1 user 1583331 → 1583449, system 265660 → 265725, idle 1757670 → 1757692.
    expect(c.vcpus.map((v) => v.cpu)).toEqual([0, 1]);
    expect(c.vcpus[1]!.busy).toBeCloseTo(183 / 205, 3);
    expect(c.vcpus[1]!.steal).toBe(0);
    // Both vCPUs have a POLL state, and guest_halt_poll_ns was 0: no polling.
    expect(c.vcpus.every((v) => v.poll === 0)).toBe(true);
    expect(c.pollVcpus).toBe(0);
    expect(c.perReadUs).toBeNull();
    expect(c.seconds).toBeCloseTo(2.064, 3);
    expect(c.busyVcpus).toBeCloseTo(c.vcpus[0]!.busy + c.vcpus[1]!.busy, 3);
  });

  it('edited: 41 steal ticks on cpu1 and 0.4 s of POLL time on cpu0 show as shares, steal per read and in the busy share', () => {
    const c = summarizeCpu(window('kvm-haltpoll-steal-poll-edited', 1000));
    expect(c.vcpus[1]!.steal).toBeCloseTo(41 / 246, 3);
    expect(c.vcpus[0]!.steal).toBe(0);
    expect(c.maxStealShare).toBe(c.vcpus[1]!.steal);
    expect(c.vcpus[0]!.poll).toBeCloseTo(400000 / 2063951, 3);
    // Steal in µs over the reads: the share of the window times its length, per read.
    expect(c.stealPerReadUs).toBeCloseTo(((41 / 246) * 2063951) / 1000, 0);
    // Polling is idle to /proc/stat and busy to the host: the busy share adds it.
    const plain = summarizeCpu(window('kvm-haltpoll-hog-cpu1', 1000));
    expect(c.busyShare).toBeGreaterThan(plain.busyShare);
  });

  it('no cpuidle driver (no POLL state): polling is null, not zero', () => {
    const c = summarizeCpu(window('kvm-no-cpuidle-edited', 10));
    expect(c.pollVcpus).toBeNull();
    expect(c.vcpus.every((v) => v.poll === null)).toBe(true);
    expect(c.busyShare).toBeGreaterThan(0);
  });

  it('windows merge by adding ticks, not by averaging shares', () => {
    const a = window('kvm-haltpoll-hog-cpu1', 1000);
    const b = window('kvm-haltpoll-steal-poll-edited', 3000);
    const m = mergeCpuWindows([a, b])!;
    expect(m.reads).toBe(4000);
    expect(m.wallUs).toBe(a.wallUs + b.wallUs);
    expect(m.vcpus[1]!.stealTicks).toBe(41);
    expect(summarizeCpu(m).vcpus[1]!.steal).toBeCloseTo(41 / (205 + 246), 3);
    expect(mergeCpuWindows([])).toBeNull();
  });

  it('idle polling: 0 on a tree that holds still (a POLL state, no time added), null at once without a POLL state', async () => {
    expect(await idlePollShare(new Root(join(FIXTURES, 'kvm-haltpoll-hog-cpu1', 't1')), 50)).toBe(0);
    const t0 = performance.now();
    expect(await idlePollShare(new Root(join(FIXTURES, 'kvm-no-cpuidle-edited', 't1')), 5000)).toBeNull();
    expect(performance.now() - t0).toBeLessThan(1000); // nothing polls: nothing to wait for
  });

  it('idle polling: an abort ends the window early and gives null, not a share of a cut window', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const t0 = performance.now();
    expect(await idlePollShare(new Root(join(FIXTURES, 'kvm-haltpoll-hog-cpu1', 't1')), 5000, ac.signal)).toBeNull();
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('a damaged /proc/stat line is skipped, not read as zero', () => {
    expect(readCpuTimes(new Root(join(FIXTURES, 'does-not-exist'))).vcpus.size).toBe(0);
  });
});

describe('CPU cost on this machine', () => {
  it("reads every online vCPU, this process's own time, and an idle polling share that is null only without a POLL state", async () => {
    const root = new Root('/');
    const a = readCpuTimes(root);
    let x = 0;
    for (let i = 0; i < 3e7; i++) x += i % 7;
    expect(x).toBeGreaterThan(0);
    const c = summarizeCpu(cpuWindow(a, readCpuTimes(root), 100));
    const online = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
    expect(c.vcpus.length).toBeGreaterThan(0);
    expect(online).toMatch(new RegExp(`${c.vcpus.at(-1)!.cpu}`));
    expect(c.perReadUs!.user).toBeGreaterThan(0);
    const hasPoll = c.vcpus.some((v) => v.poll !== null);
    const share = await idlePollShare(root, 200);
    expect(share === null).toBe(!hasPoll);
  });
});

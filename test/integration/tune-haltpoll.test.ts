import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectSnapshot } from '../../src/detect/snapshot.js';
import { Root } from '../../src/host/root.js';
import { evaluateRules } from '../../src/rules/evaluate.js';
import { defaultRuleDirs, loadRules } from '../../src/rules/load.js';
import { planTune } from '../../src/tune/plan.js';
import { runCli, runCommand } from '../helpers/cli.js';
import { needCommands } from '../helpers/commands.js';
import { diskTempDir } from '../helpers/files.js';
import { copyFixture, KVM_FIXTURE, removeTemp } from '../helpers/fixtures.js';
import { writeFiles } from '../helpers/tree-edit.js';

// The real thing on this machine. Machines of this kind come in (at least) two cpuidle states
// (read here, never assumed):
// - driver haltpoll with guest_halt_poll_ns = 0: tune must find that turning polling on cuts QD1
//   latency, keep it, and revert must put every value back;
// - driver none on KVM (idle is a plain HLT): nothing at runtime polls, so tune must keep nothing
//   that does not measurably help, must not make p50 worse, and must recommend
//   cpuidle_haltpoll.force=1 as reboot-only, saying why.
// Any other state skips, naming it. Global settings are restored in finally regardless.
const HALTPOLL = '/sys/module/haltpoll/parameters/guest_halt_poll_ns';
const CPUIDLE = '/sys/devices/system/cpu/cpuidle';
const QUEUE = ['scheduler', 'rotational', 'iostats', 'nomerges', 'add_random', 'rq_affinity'];
const read = (p: string) => readFileSync(p, 'utf8').trim();
const active = (v: string) => /\[([^\]]+)\]/.exec(v)?.[1] ?? v;
const FORCE = 'cmdline:cpuidle_haltpoll.force';

const live = await (async () => {
  const r = await runCli(['detect', '--json']);
  const s = r.code === 0 ? JSON.parse(r.stdout) : null;
  return {
    disk: (s?.rootFs?.disk as string | null | undefined) ?? null,
    hypervisor: (s?.hypervisor?.kind as string | undefined) ?? 'unknown',
    driver: existsSync(`${CPUIDLE}/current_driver`) ? read(`${CPUIDLE}/current_driver`) : null,
    governor: existsSync(`${CPUIDLE}/current_governor`) ? read(`${CPUIDLE}/current_governor`) : null,
    pollNs: existsSync(HALTPOLL) ? read(HALTPOLL) : null,
    forced: read('/proc/cmdline').split(/\s+/).includes('cpuidle_haltpoll.force=1'),
  };
})();
const stateText = `cpuidle driver ${live.driver ?? '(no cpuidle dir)'}, governor ${live.governor ?? '-'}, guest_halt_poll_ns ${live.pollNs ?? '(absent)'}, cpuidle_haltpoll.force=1 ${live.forced ? 'on' : 'not on'} the command line, hypervisor ${live.hypervisor}`;
const haltpollOff = live.driver === 'haltpoll' && live.pollNs === '0';
const noDriver = (live.driver === 'none' || live.driver === null) && live.hypervisor === 'kvm';

const tmp = diskTempDir('nvprobe-tune-live-');
afterAll(() => tmp.remove());

/** Every value tune may touch: haltpoll's parameter and the root disk's queue attributes. */
function globals(): Record<string, string> {
  const queuePaths = QUEUE.map((a) => `/sys/block/${live.disk}/queue/${a}`).filter(existsSync);
  return Object.fromEntries([...(live.pollNs !== null ? [HALTPOLL] : []), ...queuePaths].map((p) => [p, read(p)]));
}

function restore(before: Record<string, string>): void {
  for (const [p, v] of Object.entries(before)) {
    try {
      if (read(p) !== v) writeFileSync(p, active(v));
    } catch {
      // best effort: the assertions report what differed
    }
  }
}

/**
 * The premise, measured with fio (the reference, independent of nvprobe) right before tune: the
 * p50 of pvsync2 QD1 4 KiB random reads on a file of the root disk with guest_halt_poll_ns 0 and
 * 200000, three interleaved pairs. Polling only pays where the reading vCPU would otherwise halt:
 * with every vCPU kept busy by other work it cuts nothing, and tune must not be asked to find a
 * gain that is not there. Returns the median of the pairs' gains (1 - on/off): one pair hit by a
 * burst neither makes nor breaks the premise.
 */
async function fioPollingGain(dir: string): Promise<{ gain: number; text: string }> {
  const file = join(dir, 'premise.dat');
  const job = ['--name=premise', `--filename=${file}`, '--size=256m', '--bs=4k', '--direct=1'];
  const mk = await runCommand('fio', [...job, '--rw=write', '--bs=1m']);
  if (mk.code !== 0) throw new Error(`fio could not lay out ${file}: ${mk.stderr}`);
  const p50 = async (): Promise<number> => {
    const r = await runCommand('fio', [...job, '--rw=randread', '--ioengine=pvsync2', '--hipri', '--runtime=2', '--time_based', '--output-format=json']);
    if (r.code !== 0) throw new Error(`fio failed: ${r.stderr}`);
    return JSON.parse(r.stdout).jobs[0].read.clat_ns.percentile['50.000000'] / 1000;
  };
  const pairs: string[] = [];
  const gains: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      writeFileSync(HALTPOLL, '0');
      const off = await p50();
      writeFileSync(HALTPOLL, '200000');
      const on = await p50();
      gains.push(1 - on / off);
      pairs.push(`${off.toFixed(1)} → ${on.toFixed(1)} µs`);
    }
  } finally {
    writeFileSync(HALTPOLL, '0');
    rmSync(file, { force: true });
  }
  const gain = [...gains].sort((a, b) => a - b)[1]!;
  return { gain, text: `fio p50 with guest_halt_poll_ns 0 → 200000: ${pairs.join(', ')} (median gain ${(100 * gain).toFixed(0)} %)` };
}

describe('nvprobe tune on this machine', () => {
  // A latency figure on a shared VM: one more try if a neighbour's burst spoiled the first.
  it('haltpoll driver, polling off: keeps polling where fio sees it cut p50 by 10 % or more; revert restores everything', { retry: 2, timeout: 120_000 }, async (ctx) => {
    if (!haltpollOff) ctx.skip(`not the haltpoll-driver-with-polling-off state: ${stateText}`);
    if (live.disk === null) ctx.skip('the root filesystem is not on a block device nvprobe detects');
    needCommands(ctx, ['fio'], 'to measure whether polling pays on this machine now');
    const before = globals();
    const state = join(tmp.dir, `state-hp-${ctx.task.result?.retryCount ?? 0}`);
    try {
      const premise = await fioPollingGain(tmp.dir);
      if (premise.gain < 0.1) ctx.skip(`polling does not pay under the current load (other work keeps the vCPUs busy): ${premise.text}`);
      const r = await runCli(['tune', '--yes', '--json', '--state-dir', state]);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      const res = doc.result;
      const hp = res.changes.find((c: { target: string }) => c.target === 'haltpoll.guest_halt_poll_ns');
      expect(hp, JSON.stringify(res.changes)).toBeDefined();
      expect(hp.decision, `${hp.reason}; ${premise.text}`).toBe('kept');
      expect(Number(hp.to)).toBeGreaterThan(0);
      expect(Number(read(HALTPOLL))).toBe(Number(hp.to));
      expect(hp.grid.map((g: { value: number }) => g.value)).toEqual([0, 25000, 50000, 100000, 200000, 400000]);
      // The grid's 0 is measured after polling values: it must read as polling off (the governor's
      // poll limit only shrinks after a halt, which tune lets happen before each round).
      const gridP50 = (v: number) => hp.grid.find((g: { value: number }) => g.value === v).medianP50Us as number;
      expect(gridP50(0), JSON.stringify(hp.grid.map((g: { value: number; p50Us: number[] }) => [g.value, g.p50Us]))).toBeGreaterThan(1.1 * gridP50(Number(hp.to)));
      // nvprobe's own before/after agrees with fio's, within the noise of two separate runs.
      expect(res.after.p50Us, `before ${res.before.p50Us} µs, after ${res.after.p50Us} µs; ${premise.text}`).toBeLessThanOrEqual(0.9 * res.before.p50Us);
      expect(hp.pollShare.after).toBeGreaterThanOrEqual(hp.pollShare.before);
      // The price beside the gain: each grid value's idle polling share and its reads' CPU cost;
      // the kept value is the cheapest within the noise of the best, under the cap.
      for (const g of hp.grid) {
        expect(g.idlePollShare, `grid ${g.value}`).toBeGreaterThanOrEqual(0);
        expect(g.cpu.busyShare, `grid ${g.value}`).toBeGreaterThan(0);
        expect(g.cpu.perReadUs.user + g.cpu.perReadUs.system).toBeGreaterThan(0);
      }
      expect(hp.gridChoice).toMatchObject({ costBy: 'idle-poll-share', maxIdlePollShare: 0.05, reachesBest: true });
      const chosen = hp.grid.find((g: { value: number }) => g.value === Number(hp.to));
      const best = Math.min(...hp.grid.map((g: { medianP50Us: number }) => g.medianP50Us));
      expect(chosen.medianP50Us).toBeLessThanOrEqual(best * (1 + hp.gridChoice.tolerance) + 1e-9);
      expect(chosen.idlePollShare).toBeLessThanOrEqual(0.05);
      expect(hp.cpu.before.busyShare).toBeGreaterThan(0);
      expect(hp.cpu.after.busyShare).toBeGreaterThan(0);
      console.log(
        `guest_halt_poll_ns grid (median p50 µs, idle polling, busy during reads): ${hp.grid.map((g: { value: number; medianP50Us: number; idlePollShare: number; cpu: { busyShare: number } }) => `${g.value}: ${g.medianP50Us} µs, ${(g.idlePollShare * 100).toFixed(2)} %, ${(g.cpu.busyShare * 100).toFixed(0)} %`).join('; ')}; kept ${hp.to}; ${premise.text}`,
      );
      // The same run as a user reads it: the decision line with gain and price, the grid as latency against cost.
      const text = await runCli(['report', doc.savedTo]);
      expect(text.stdout).toMatch(new RegExp(`kept haltpoll\\.guest_halt_poll_ns = ${hp.to}: p50 [\\d.]+ % lower; price: idle polling`));
      expect(text.stdout).toMatch(/grid \(median p50, cost\): 0: [\d.]+ µs, idle polling [\d.]+ %, busy \d+ %/);
      const html = join(tmp.dir, `hp-${ctx.task.result?.retryCount ?? 0}.html`);
      expect((await runCli(['report', doc.savedTo, '-o', html])).code).toBe(0);
      const page = readFileSync(html, 'utf8');
      expect(page).toContain('haltpoll.guest_halt_poll_ns: latency against CPU cost');
      expect(page.match(/<circle class="grid-point"/g)?.length).toBe(6);
      expect(page).toContain(`data-value="${hp.to}" data-chosen="true"`);
      // Polling works at runtime here: nothing about forcing the driver at boot.
      expect(doc.plan.rebootOnly.map((x: { action: { target: string } }) => x.action.target)).not.toContain(FORCE);
      const rv = await runCli(['revert', '--state-dir', state]);
      expect(rv.code, rv.stderr).toBe(0);
      for (const [p, v] of Object.entries(before)) expect(read(p), p).toBe(v);
    } finally {
      restore(before);
    }
  });

  it('haltpoll driver, polling off, whatever the load: a kept value beat the baseline, a reverted one is back at 0; revert restores everything', { retry: 2 }, async (ctx) => {
    if (!haltpollOff) ctx.skip(`not the haltpoll-driver-with-polling-off state: ${stateText}`);
    if (live.disk === null) ctx.skip('the root filesystem is not on a block device nvprobe detects');
    const before = globals();
    const state = join(tmp.dir, `state-hp-any-${ctx.task.result?.retryCount ?? 0}`);
    try {
      const r = await runCli(['tune', '--yes', '--json', '--state-dir', state]);
      expect(r.code, r.stderr).toBe(0);
      const res = JSON.parse(r.stdout).result;
      const hp = res.changes.find((c: { target: string }) => c.target === 'haltpoll.guest_halt_poll_ns');
      expect(hp, JSON.stringify(res.changes)).toBeDefined();
      if (hp.decision === 'kept') {
        expect(hp.medianRatio, hp.reason).toBeLessThan(1);
        expect(Number(read(HALTPOLL))).toBe(Number(hp.to));
      } else {
        expect(read(HALTPOLL), hp.reason).toBe('0');
      }
      const rv = await runCli(['revert', '--state-dir', state]);
      expect(rv.code, rv.stderr).toBe(0);
      for (const [p, v] of Object.entries(before)) expect(read(p), p).toBe(v);
    } finally {
      restore(before);
    }
  });

  it('no cpuidle driver on KVM: keeps only what measurably helps, p50 not worse, force=1 recommended for a reboot, revert restores everything', { retry: 2 }, async (ctx) => {
    if (!noDriver) ctx.skip(`not the no-cpuidle-driver-on-KVM state: ${stateText}`);
    if (live.disk === null) ctx.skip('the root filesystem is not on a block device nvprobe detects');
    const before = globals();
    const state = join(tmp.dir, `state-none-${ctx.task.result?.retryCount ?? 0}`);
    try {
      const r = await runCli(['tune', '--yes', '--json', '--state-dir', state]);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      // guest_halt_poll_ns is inert without the driver: tune must not try it.
      expect(doc.plan.changes.map((c: { action: { target: string } }) => c.action.target)).not.toContain('haltpoll.guest_halt_poll_ns');
      if (live.driver === 'none') {
        const force = doc.plan.rebootOnly.find((x: { action: { target: string } }) => x.action.target === FORCE);
        expect(force, JSON.stringify(doc.plan.rebootOnly)).toBeDefined();
        expect(String(force.action.value)).toBe('1');
        expect(force.reason).toMatch(/driver-not-loaded .*current_driver.*only read at boot.*needs a reboot/);
      }
      const res = doc.result;
      if (res === null) {
        // Nothing to try at runtime: nothing may have changed.
        expect(globals()).toEqual(before);
      } else {
        for (const c of res.changes.filter((x: { decision: string }) => x.decision === 'kept')) {
          expect(c.medianRatio, `${c.target} kept: ${c.reason}`).toBeLessThan(1);
        }
        // Allow the noise of a shared machine, not a slowdown.
        expect(res.after.p50Us, `before ${res.before.p50Us} µs, after ${res.after.p50Us} µs`).toBeLessThanOrEqual(1.1 * res.before.p50Us);
        const rv = await runCli(['revert', '--state-dir', state]);
        expect(rv.code, rv.stderr).toBe(0);
      }
      for (const [p, v] of Object.entries(before)) expect(read(p), p).toBe(v);
    } finally {
      restore(before);
    }
  });
});

// The no-driver state on a captured tree of this kind of machine, edited to what such a guest
// shows (FACTS: driver none, governor menu, no cpuidle/ under the CPUs, the inert haltpoll
// governor parameter at its default, no cpuidle_haltpoll.force=1): runs everywhere.
describe('a KVM guest without a cpuidle driver (captured tree, cpuidle edited)', () => {
  function noDriverTree(): string {
    const root = copyFixture(KVM_FIXTURE);
    writeFiles(root, {
      '/sys/devices/system/cpu/cpuidle/current_driver': 'none',
      '/sys/devices/system/cpu/cpuidle/current_governor': 'menu',
      '/sys/module/haltpoll/parameters/guest_halt_poll_ns': 200000,
      '/sys/module/cpuidle_haltpoll/parameters/force': 'N',
      '/proc/cmdline': read(join(root, 'proc/cmdline')).replace(/ cpuidle_haltpoll\.force=1| haltpoll\.guest_halt_poll_ns=0/g, ''),
    });
    for (const cpu of ['cpu0', 'cpu1']) removeTemp(join(root, 'sys/devices/system/cpu', cpu, 'cpuidle'));
    return root;
  }

  it('check recommends cpuidle_haltpoll.force=1, reboot-only, and no runtime haltpoll change', async () => {
    const root = noDriverTree();
    try {
      const r = await runCli(['check', '--root', root, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const findings = JSON.parse(r.stdout).findings as Array<{
        id: string;
        status: string;
        rationale: string;
        actions: Array<{ kind: string; param?: string; value: unknown; runtime: boolean; reboot: boolean }>;
      }>;
      const notLoaded = findings.find((f) => f.id === 'haltpoll-driver-not-loaded')!;
      expect(notLoaded.status).toBe('recommend');
      expect(notLoaded.actions).toEqual([expect.objectContaining({ kind: 'kernel-cmdline', param: 'cpuidle_haltpoll.force', value: 1, runtime: false, reboot: true })]);
      expect(notLoaded.rationale).toMatch(/the cpuidle driver is none\b/);
      // The inert parameter is not offered as a runtime change.
      expect(findings.find((f) => f.id === 'haltpoll-polling-disabled')!.status).toBe('n/a');
      const runtime = findings
        .filter((f) => f.status === 'recommend')
        .flatMap((f) => f.actions)
        .filter((a) => a.runtime);
      expect(runtime.map((a) => a.param)).not.toContain('guest_halt_poll_ns');
    } finally {
      removeTemp(root);
    }
  });

  it("tune's plan lists it as reboot-only, with what was read and why no runtime change does it", () => {
    const root = noDriverTree();
    try {
      const tree = new Root(root);
      const plan = planTune(tree, evaluateRules(detectSnapshot(tree), loadRules(defaultRuleDirs()).rules), 'vda');
      expect(plan.changes.map((c) => c.action.target)).not.toContain('haltpoll.guest_halt_poll_ns');
      const force = plan.rebootOnly.find((x) => x.action.target === FORCE)!;
      expect(force.action.value).toBe(1);
      expect(force.reason).toBe(
        'cpuidle-haltpoll is not in use on this KVM guest (read: hypervisor.kind = kvm (/proc/cpuinfo, /sys/hypervisor, /sys/class/dmi/id, clocksource); machine.architecture = x86_64; cpuidle.haltpoll.driverModule = builtin (/sys/module/cpuidle_haltpoll/initstate); cpuidle.haltpoll.absence = driver-not-loaded (/sys/devices/system/cpu/cpuidle/current_driver)); ' +
          'cmdline:cpuidle_haltpoll.force = 1 is only read at boot, so no change tune can make at runtime does this: it needs a reboot',
      );
    } finally {
      removeTemp(root);
    }
  });
});

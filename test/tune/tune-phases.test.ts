import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { diskTempDir } from '../helpers/files.js';
import { attachLoop, loopRules, queueAttrs, restoreQueueAttrs } from '../helpers/loop-target.js';
import { nvprobeInstances, restoreTracefs, tracefsMounted, tracingUnavailable } from '../helpers/tracefs-state.js';

// tune on a loop device this test attaches: one traced measurement of the original settings and
// one of the final ones, back to back at the end, per phase on the kernel clock, in the JSON
// document and the text.
let tmp: ReturnType<typeof diskTempDir>;
let loop: ReturnType<typeof attachLoop>;
let original: Record<string, string>;
let wasMounted: boolean;
beforeAll(() => {
  tmp = diskTempDir('nvprobe-tune-phases-');
  loop = attachLoop(tmp.dir);
  original = queueAttrs(loop.name);
  wasMounted = tracefsMounted();
});
afterAll(() => {
  try {
    restoreQueueAttrs(loop.name, original);
    loop.detach();
  } finally {
    restoreTracefs(wasMounted);
    tmp.remove();
  }
});

function args(name: string): { state: string; args: string[] } {
  const dir = join(tmp.dir, name);
  mkdirSync(join(dir, 'rules'), { recursive: true, mode: 0o755 });
  chmodSync(tmp.dir, 0o755);
  writeFileSync(join(dir, 'rules', 'loop.yaml'), loopRules(loop.name, [{ attr: 'nomerges', value: 2 }]));
  const state = join(dir, 'state');
  return {
    state,
    args: ['tune', loop.dev, '--yes', '--rules', join(dir, 'rules'), '--state-dir', state, '--only', 'test-loop-0-nomerges', '--round', '150ms', '--max-blocks', '8', '--budget', '60s'],
  };
}

describe('nvprobe tune: per-phase before/after on the kernel clock', () => {
  it('--json carries a traced baseline and result with the three phases; the text shows them side by side', async (ctx) => {
    const why = tracingUnavailable();
    if (why) ctx.skip(why);
    const { state, args: a } = args('json');
    try {
      const r = await runCli([...a, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.schemaVersion).toBe(1);
      const kc = doc.result.kernelClock;
      expect(kc).toBeDefined();
      for (const side of ['before', 'after'] as const) {
        const k = kc[side];
        expect(k.available, JSON.stringify(k).slice(0, 300)).toBe(true);
        expect(k.clock).toBe('mono');
        expect(k.totalFrom).toBe('syscall-events');
        expect(k.totalReads).toBeGreaterThan(100);
        expect(k.lostEvents).toBe(0);
        // A loop device is request-based: the phases come from the request events of the reads' own sectors.
        expect(k.withPhases).toBeGreaterThan(k.phaseSliceReads * 0.99);
        expect(k.phases.requestEvents).toBe(k.withPhases);
        const sum = k.phases.submit.latency.meanUs + k.phases.device.latency.meanUs + k.phases.completion.latency.meanUs;
        expect(Math.abs(sum - k.phases.total.latency.meanUs) / k.phases.total.latency.meanUs).toBeLessThan(0.001);
        expect(k.phases.device.latency.percentilesUs.p50).toBeGreaterThan(k.phases.submit.latency.percentilesUs.p50);
        expect(k.phases.guestSide.meanUs).toBeCloseTo(k.phases.submit.latency.meanUs + k.phases.completion.latency.meanUs, 1);
      }
      expect(nvprobeInstances()).toEqual([]);
      expect((await runCli(['revert', '--state-dir', state])).code).toBe(0);

      // The same run as text (report of the saved run renders tune's text): the per-phase table.
      const text = await runCli(['report', doc.savedTo]);
      expect(text.code).toBe(0);
      const p50 = (us: number) => (us < 10 ? us.toFixed(2) : us < 1000 ? us.toFixed(1) : String(Math.round(us)));
      const d = kc.before.phases.completion.latency.percentilesUs.p50;
      const e = kc.after.phases.completion.latency.percentilesUs.p50;
      expect(text.stdout).toMatch(/^Per phase, kernel clock \(one traced measurement of the original settings and one of the final ones, back to back at the end/m);
      expect(text.stdout).toMatch(new RegExp(`^completion → return +${p50(d).replace('.', '\\.')} +${p50(e).replace('.', '\\.')} +[-+]?[\\d.]+ %`, 'm'));
      expect(text.stdout).toMatch(/^device and host +[\d.]+ +[\d.]+ /m);

      // Where the reads waited against their completions, before and after; a moved reader is named.
      const share = (k: { placement: { sameCpu: { reads: number }; otherCpu: { reads: number } } }) => k.placement.sameCpu.reads / (k.placement.sameCpu.reads + k.placement.otherCpu.reads);
      const pct = (k: Parameters<typeof share>[0]) => Math.round(100 * share(k));
      expect(text.stdout).toMatch(new RegExp(`^  reads completed on their reader's CPU: ${pct(kc.before)} % before, ${pct(kc.after)} % after \\(completions on CPU \\d+\\)$`, 'm'));
      // The shares themselves, not their rounded percentages, as the report decides (both sides have hundreds of reads).
      const moved = Math.abs(share(kc.before) - share(kc.after)) >= 0.25;
      expect(text.stdout.includes('NOTE the reader waited on other CPUs in the two measurements')).toBe(moved);
      // The same run with the after measurement's reads all waiting away from their completions.
      const n = kc.after.withPhases;
      const edited = structuredClone(doc);
      edited.result.kernelClock.before.placement = { ...kc.before.placement, sameCpu: { reads: n, p50Us: 50 }, otherCpu: { reads: 0, p50Us: null } };
      edited.result.kernelClock.after.placement = { ...kc.after.placement, sameCpu: { reads: 0, p50Us: null }, otherCpu: { reads: n, p50Us: 80 } };
      const editedFile = join(tmp.dir, 'edited-run.json');
      writeFileSync(editedFile, JSON.stringify(edited));
      const again = await runCli(['report', editedFile]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain("  reads completed on their reader's CPU: 100 % before, 0 % after");
      expect(again.stdout).toContain("  NOTE the reader waited on other CPUs in the two measurements: part of the phases' change is where it ran, not the settings");
    } finally {
      restoreQueueAttrs(loop.name, original);
    }
  }, 120_000);

  it('--no-trace: no kernel-clock measurement, no per-phase table', async () => {
    const { state, args: a } = args('notrace');
    try {
      const r = await runCli([...a, '--json', '--no-trace']);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.result.kernelClock).toBeUndefined();
      expect((await runCli(['report', doc.savedTo])).stdout).not.toContain('Per phase');
      expect((await runCli(['revert', '--state-dir', state])).code).toBe(0);
    } finally {
      restoreQueueAttrs(loop.name, original);
    }
  }, 120_000);
});

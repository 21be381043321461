import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCpuList } from '../../src/detect/cpu-list.js';
import { runCli } from '../helpers/cli.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';

// On this machine: a probe pinned to each vCPU in turn says where its reads' completions ran
// against the CPU the reader waited on, consistently with the pinning.

const online = parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8')) ?? [];
const cpus = online.slice(0, 2);
let tmp: ReturnType<typeof diskTempDir>;
let file: string;
beforeAll(() => {
  tmp = diskTempDir('nvprobe-placement-');
  file = join(tmp.dir, 'target');
  writeOffsetFile(file, 8192); // 32 MiB
});
afterAll(() => tmp.remove());

describe('probe placement on this machine', () => {
  it.for(cpus)('pinned to CPU %i: every reader waited there, and the same/other split matches the completion CPUs', async (cpu, ctx) => {
    const r = await runCli(['probe', file, '--cpu', String(cpu), '--duration', '1s', '--ramp', '200ms', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const k = JSON.parse(r.stdout).kernelClock;
    if (!k.available) ctx.skip(`kernel clock unavailable here: ${k.reason}`);
    if (k.withPhases === 0) ctx.skip(`no phases here: ${k.noPhasesReason}`);
    const p = k.placement;
    expect(p.issueCpus).toEqual({ [cpu]: k.withPhases });
    expect(p.sameCpu.reads + p.otherCpu.reads).toBe(k.withPhases);
    expect(p.sameCpu.reads).toBe(p.completionCpus[cpu] ?? 0);
    const completed = Object.entries(p.completionCpus as Record<string, number>);
    expect(completed.reduce((a, [, n]) => a + n, 0)).toBe(k.withPhases);
    for (const [c] of completed) expect(online).toContain(Number(c));
    for (const g of [p.sameCpu, p.otherCpu]) expect(g.p50Us === null).toBe(g.reads === 0);
  });
});

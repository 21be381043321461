import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCpuList } from '../../src/detect/cpu-list.js';
import { runCli } from '../helpers/cli.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';

// On this machine: two probes of one file, the reader pinned to the CPU that takes the disk's
// completions and then to another, compared with `report A B`: the placement of each side, and
// the sentence naming it where the guest side moved.

const online = parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8')) ?? [];
let tmp: ReturnType<typeof diskTempDir>;
let file: string;
beforeAll(() => {
  tmp = diskTempDir('nvprobe-compare-placement-');
  file = join(tmp.dir, 'target');
  writeOffsetFile(file, 8192); // 32 MiB
});
afterAll(() => tmp.remove());

async function probe(cpu: number) {
  const r = await runCli(['probe', file, '--cpu', String(cpu), '--duration', '1s', '--ramp', '200ms', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return { text: r.stdout, doc: JSON.parse(r.stdout) };
}

describe('report A B on two probes pinned apart', () => {
  it('gives each side its placement, and the sentence names it when the guest side moved', async (ctx) => {
    if (online.length < 2) ctx.skip(`one online CPU (${online.join(',')}): no other CPU to wait on`);
    const first = await probe(online[0]!);
    const k = first.doc.kernelClock;
    if (!k.available) ctx.skip(`kernel clock unavailable here: ${k.reason}`);
    if (k.withPhases === 0) ctx.skip(`no phases here: ${k.noPhasesReason}`);
    const completions = Object.entries(k.placement.completionCpus as Record<string, number>).sort((x, y) => y[1] - x[1]);
    const irqCpu = Number(completions[0]![0]);
    if (completions[0]![1] < 0.9 * k.withPhases) ctx.skip(`completions spread over CPUs ${completions.map(([c]) => c).join(',')}: no single completion CPU to wait away from`);
    const away = online.find((c) => c !== irqCpu)!;
    // A: waiting where the completions run; B: on another CPU.
    const a = irqCpu === online[0] ? first : await probe(irqCpu);
    const b = away === online[0] ? first : await probe(away);
    if (b.doc.kernelClock.placement.completionCpus[away] > 0.1 * b.doc.kernelClock.withPhases) ctx.skip(`pinned to CPU ${away}, the completions followed the reader there: a queue per CPU`);
    writeFileSync(join(tmp.dir, 'a.json'), a.text);
    writeFileSync(join(tmp.dir, 'b.json'), b.text);

    const r = await runCli(['report', join(tmp.dir, 'a.json'), join(tmp.dir, 'b.json'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.latency.A.placement).toMatchObject({ completionCpu: irqCpu, reads: a.doc.kernelClock.withPhases });
    expect(doc.latency.A.placement.sameCpuShare).toBeGreaterThan(0.9);
    expect(doc.latency.B.placement).toMatchObject({ completionCpu: irqCpu, reads: b.doc.kernelClock.withPhases });
    expect(doc.latency.B.placement.sameCpuShare).toBeLessThan(0.1);
    const clause = `a completion on another CPU wakes its reader with an inter-processor interrupt (the completions ran on CPU ${irqCpu}`;
    // Where a side moved beyond the noise, the sentence names the placement; otherwise there is nothing to explain.
    if (['guest', 'both', 'device'].includes(doc.verdict.side)) expect(doc.verdict.sentence).toContain(clause);
    else expect(doc.verdict.sentence).not.toContain(clause);

    const text = await runCli(['report', join(tmp.dir, 'a.json'), join(tmp.dir, 'b.json')]);
    expect(text.code, text.stderr).toBe(0);
    const row = text.stdout.split('\n').find((l) => l.startsWith("reads completed on their reader's CPU"));
    expect(row).toMatch(new RegExp(`\\d+ % \\(completions on CPU ${irqCpu}\\)\\s+\\d+ % \\(completions on CPU ${irqCpu}\\)$`));
  });
});

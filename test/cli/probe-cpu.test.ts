import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CpuCost } from '../../src/contracts/cpu-cost.js';
import { parseCpuList } from '../../src/detect/cpu-list.js';
import { runCli } from '../helpers/cli.js';
import { needCommands } from '../helpers/commands.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';

// What the probe's CPU figures see on this machine: a busy loop of the guest's own, pinned to
// another vCPU than the probe's, makes that vCPU busy; it is not steal (the host did not take it).

const cpus = parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8')) ?? [];
let tmp: ReturnType<typeof diskTempDir>;
let file: string;
beforeAll(() => {
  tmp = diskTempDir('nvprobe-cpu-');
  file = join(tmp.dir, 'target');
  writeOffsetFile(file, 8192); // 32 MiB
});
afterAll(() => tmp.remove());

async function probeCpu(on: number): Promise<CpuCost> {
  const r = await runCli(['probe', file, '--cpu', String(on), '--duration', '2s', '--ramp', '200ms', '--no-trace', '--json']);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout).result.cpu;
}

/** Stop a hog and wait until it is gone. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

describe('probe CPU figures on this machine', () => {
  it("a CPU hog pinned to the other vCPU raises the busy share; the guest's own hog is not steal", async (ctx) => {
    if (cpus.length < 2) ctx.skip(`only ${cpus.length} vCPU online: no other vCPU to pin a hog to`);
    needCommands(ctx, ['taskset'], 'to pin the busy loop to one vCPU');
    const [mine, other] = [cpus[0]!, cpus[1]!];
    const quiet = await probeCpu(mine);
    const quietOther = quiet.vcpus.find((v) => v.cpu === other)!.busy;
    // A shared machine: when other work already fills that vCPU, no hog can raise it.
    if (quietOther > 0.6) ctx.skip(`vCPU ${other} is already ${Math.round(quietOther * 100)} % busy with other work: a hog cannot show`);
    const hog = spawn('taskset', ['-c', String(other), 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' });
    try {
      await sleep(200);
      expect(hog.exitCode, 'the hog is running').toBeNull();
      const busy = await probeCpu(mine);
      const hogged = busy.vcpus.find((v) => v.cpu === other)!;
      expect(hogged.busy).toBeGreaterThan(0.9);
      // One vCPU of n went from at most 60 % to over 90 %: the share of all of them rises by 0.3/n or more.
      expect(busy.busyShare - quiet.busyShare).toBeGreaterThanOrEqual(0.2 / cpus.length);
      // The guest ran the hog itself: the host took no more of the vCPU than before.
      expect(hogged.steal).toBeLessThan(0.05);
      expect(busy.maxStealShare).toBeLessThan(0.05);
    } finally {
      await stop(hog);
    }
  });
});

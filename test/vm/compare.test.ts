import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CompareDocument } from '../../src/contracts/compare-document.js';
import { member } from '../helpers/bundle.js';
import { runCli } from '../helpers/cli.js';
import { LAB_DISKS, type Guest } from './lab/guest.js';
import { sharedGuest } from './lab/shared-guests.js';

/** Run in the guest, insist on success, give trimmed stdout. */
async function sh(guest: Guest, script: string): Promise<string> {
  const r = await guest.run(script);
  expect(r.exitCode, `${script}\nstderr: ${r.stderr}`).toBe(0);
  return r.stdout.trim();
}

// `nvprobe report A B` with A from a lab guest (QEMU TCG, Debian's 6.1 cloud kernel, virtio-blk
// vda and an emulated NVMe disk, poll queues on) and B from this machine: two machines, and the
// differences a support engineer must see first (hypervisor, idle driver, poll queues, queues).
describe('report A B: a lab guest against this machine', () => {
  let guest: Guest;
  let tmp: string;
  let host: string;
  const inGuest = '/tmp/nvprobe-compare';

  /** Collect a bundle in the guest (its / is the initramfs: no disk to probe) and bring it here. */
  async function labBundle(name: string): Promise<string> {
    await sh(guest, `mkdir -p ${inGuest}/state && node bin/nvprobe collect -o ${inGuest}/${name} --no-probe --state-dir ${inGuest}/state --quiet`);
    const r = await guest.runBytes(`cat ${inGuest}/${name}`);
    expect(r.exitCode).toBe(0);
    const file = join(tmp, name);
    writeFileSync(file, r.stdout);
    return file;
  }

  beforeAll(async () => {
    guest = await sharedGuest(1);
    tmp = mkdtempSync('/var/tmp/nvprobe-vm-compare-');
    const state = join(tmp, 'state');
    mkdirSync(state, { mode: 0o700 });
    host = join(tmp, 'host.tar.gz');
    // This machine's bundle, with its own state dir (and the probe's scratch file there).
    const r = await runCli(['collect', '-o', host, '--state-dir', state, '--probe-duration', '2s', '--quiet'], { env: { ...process.env, NVPROBE_STATE_DIR: state } });
    if (r.code !== 0) throw new Error(`collect on this machine failed (${r.code}): ${r.stderr}`);
  });
  afterAll(async () => {
    await guest?.run(`rm -rf ${inGuest}`);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('the lab guest has no machine id: one machine or two is unknown, and the report says why', async () => {
    expect((await guest.run('test -e /etc/machine-id')).exitCode, 'the lab initramfs has no /etc/machine-id').not.toBe(0);
    const lab = await labBundle('no-id.tar.gz');
    expect(JSON.parse(member(lab, 'manifest.json')).machineToken).toBeNull();
    const r = await runCli(['report', lab, host, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as CompareDocument;
    expect(doc.identity.verdict).toBe('unknown');
    expect(doc.identity.sentence).toMatch(/^one machine or two is unknown: A comes from a machine without \/etc\/machine-id/);
  });

  test('with a machine id: two machines; hypervisor, idle driver, poll queues and queues differ, ranked', async () => {
    // A real guest has a machine id; the lab's (whose initramfs has no /etc) gets one for this
    // bundle only, and loses it again.
    const madeEtc = (await guest.run('test -d /etc')).exitCode !== 0;
    await sh(guest, 'mkdir -p /etc && echo 5c0ffee0000000000000000000000001 > /etc/machine-id');
    let lab: string;
    try {
      lab = await labBundle('lab.tar.gz');
    } finally {
      await sh(guest, `rm -f /etc/machine-id${madeEtc ? ' && rmdir /etc' : ''}`);
    }
    const r = await runCli(['report', lab, host, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as CompareDocument;
    expect(doc.identity.verdict).toBe('two-machines');
    expect(doc.identity.sentence).toMatch(/^two machines \(collected \S+ and \S+\)$/);
    const rows = doc.configuration.differences;
    const row = (key: string, subject: RegExp | null) => rows.find((d) => d.key === key && (subject === null ? d.subject === null : subject.test(d.subject ?? '')));
    const hostSnap = JSON.parse(member(host, 'detect.json'));
    expect(rows[0]).toMatchObject({ key: 'hypervisor', a: 'tcg', b: hostSnap.hypervisor.kind });
    // vda is virtio-blk on both: compared setting by setting (this machine measured its vda).
    const hostVda = hostSnap.disks.find((d: { name: string }) => d.name === LAB_DISKS.virtio);
    if (hostVda) {
      expect(row('disk.transport', /^vda/)).toBeUndefined();
      if (hostVda.queues.pollQueuesParam !== 1) expect(row('disk.pollQueues', /^vda/)).toMatchObject({ a: '1', b: String(hostVda.queues.pollQueuesParam ?? '-') });
      if (hostVda.queues.ioPoll !== true) expect(row('disk.ioPoll', /^vda/)).toMatchObject({ a: 'yes', b: 'no' });
      if (hostVda.queues.hwQueues !== 2) expect(row('disk.hwQueues', /^vda/)).toMatchObject({ a: '2', b: String(hostVda.queues.hwQueues) });
    }
    // The emulated NVMe disk only the guest has, with its transport.
    if (!hostSnap.disks.some((d: { name: string }) => d.name === LAB_DISKS.nvme)) expect(row('disk.present', /^nvme0n1/)).toMatchObject({ a: 'nvme, 256 MiB', b: null });
    if (hostSnap.cpuidle.driver !== 'none') expect(row('cpuidle.driver', null)).toMatchObject({ a: 'none', b: hostSnap.cpuidle.driver });
    // Ranked: nothing below a less important setting is listed above it.
    const ranks = rows.map((d) => d.rank);
    expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
    // The lab bundle has no probe: nothing to compare, and it says why.
    expect(doc.verdict).toMatchObject({ side: 'no-data', sentence: 'no latency to compare: A has none (its probe was skipped: --no-probe)' });

    const text = await runCli(['report', lab, host]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.split('\n')[3]).toBe(`  ${doc.identity.sentence}`);
    expect(text.stdout).toMatch(/^ +1 +hypervisor +tcg +\S+ +every exit/m);
    expect(text.stdout).toMatch(/^ +\d+ +vda \(measured in B\): poll_queues +1 /m);
    expect(text.stdout).toMatch(/^ +\d+ +nvme0n1: disk +nvme, 256 MiB +absent /m);
  });

  test("the lab's probe document against this machine's bundle: both latencies with their phases, a side named", async () => {
    const probe = await guest.run(`node bin/nvprobe probe /dev/${LAB_DISKS.virtio} --engine psync2 --ios 2000 --ramp 0 --json`);
    expect(probe.exitCode, probe.stderr).toBe(0);
    const file = join(tmp, 'lab-probe.json');
    writeFileSync(file, probe.stdout);
    const r = await runCli(['report', file, host, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as CompareDocument;
    expect(doc.identity.verdict).toBe('unknown');
    expect(doc.latency.A).not.toBeNull();
    expect(doc.latency.B).not.toBeNull();
    const lab = JSON.parse(probe.stdout);
    expect(doc.latency.A!.phases !== null).toBe(!!(lab.kernelClock?.available && lab.kernelClock.phases));
    // The guest's kernel differs, and so does the engine's polling where this machine's probe used io_uring.
    expect(doc.configuration.differences).toContainEqual(expect.objectContaining({ key: 'kernel.release', a: lab.kernel.release }));
    expect(doc.verdict.side).not.toBe('no-data');
    expect(doc.verdict.sentence).toMatch(/^(B is [\d.]+ µs (slower|faster) at p50 \([−+][\d.]+ %\); .*(the device and host side|the guest side|neither side|unknown)|no difference beyond the noise)/);
    const text = await runCli(['report', file, host]);
    expect(text.stdout.trimEnd().split('\n').at(-1)).toBe(doc.verdict.sentence);
  });
});

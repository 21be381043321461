import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/contracts/detect-document.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { asNobody } from '../helpers/unprivileged.js';
import { copyFixture, fixtureRoot, KVM_FIXTURE, makeTemp, removeTemp } from '../helpers/fixtures.js';

const VDA = 'sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda';
let temp = '';
afterEach(() => {
  if (temp) removeTemp(temp);
  temp = '';
});

async function detectJson(root: string, run: (args: string[]) => Promise<CliResult> = runCli): Promise<Snapshot> {
  const r = await run(['detect', '--root', root, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Snapshot;
}

/** A usage error: exit 2, exactly "nvprobe: ..." and "hint: ..." on stderr, nothing on stdout. */
async function expectUsageError(args: string[], message: RegExp): Promise<void> {
  const r = await runCli(args);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(message);
  expect(lines[1]).toMatch(/^hint: /);
}

describe('nvprobe detect on the captured tree', () => {
  it('--json prints exactly one JSON document with schemaVersion', async () => {
    const s = await detectJson(fixtureRoot(KVM_FIXTURE));
    expect(s.schemaVersion).toBe(1);
    expect(s.disks.find((d) => d.name === 'vda')?.transport).toBe('virtio-blk');
  });

  it('prints a readable summary with the disk table', async () => {
    const r = await runCli(['detect', '--root', fixtureRoot(KVM_FIXTURE)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^hypervisor +kvm$/m);
    expect(r.stdout).toMatch(/^cpuidle +driver haltpoll, governor haltpoll$/m);
    expect(r.stdout).toMatch(/states: POLL \(0 µs\), haltpoll idle \(1 µs\)/);
    expect(r.stdout).toMatch(/^DISK +TRANSPORT +MODEL +SIZE +HWQ +POLLQ +IO_POLL +SCHEDULER +ROT +NUMA +ROOT FS$/m);
    expect(r.stdout).toMatch(/^vda +virtio-blk +pci 1af4:1042 +256 GiB +1 +0 +no +mq-deadline +yes +-1 +self$/m);
    expect(r.stdout).toMatch(/9 more with size 0: loop0 .* zram0/);
  });
});

describe('nvprobe detect --root: bad input', () => {
  it('a path that does not exist', async () => {
    temp = makeTemp();
    await expectUsageError(['detect', '--root', join(temp, 'nothing-here')], /^nvprobe: --root .*nothing-here: no such directory$/);
  });

  it('an empty directory', async () => {
    temp = makeTemp();
    await expectUsageError(['detect', '--root', temp], /^nvprobe: --root .* holds neither sys\/ nor proc\/$/);
  });

  it('a file', async () => {
    temp = makeTemp();
    writeFileSync(join(temp, 'f'), 'x');
    await expectUsageError(['detect', '--root', join(temp, 'f'), '--json'], /^nvprobe: --root .* is not a directory$/);
  });

  it('a tree with only proc/: kernel facts, no disks, reasons for the rest', async () => {
    temp = copyFixture(KVM_FIXTURE);
    rmSync(join(temp, 'sys'), { recursive: true });
    const s = await detectJson(temp);
    expect(s.kernel.release).toBe('6.18.44-fc-v595');
    expect(s.disks).toEqual([]);
    expect(s.cpuidle.driver).toBeNull();
    expect(s.cpus.online).toBeNull();
    // cpuinfo's hypervisor bit is still there; nothing names the hypervisor.
    expect(s.hypervisor.kind).toBe('unknown');
    expect(s.rootFs).toMatchObject({ dev: '254:0', device: null });
    expect(s.unavailable).toContainEqual({ path: '/sys/devices/system/cpu/online', reason: 'missing', detail: 'ENOENT' });
  });

  it('a tree with only sys/: disks and cpuidle, kernel unknown', async () => {
    temp = copyFixture(KVM_FIXTURE);
    rmSync(join(temp, 'proc'), { recursive: true });
    const s = await detectJson(temp);
    expect(s.kernel).toMatchObject({ release: null, version: null, cmdline: null, ioUringDisabled: null });
    expect(s.disks.find((d) => d.name === 'vda')).toMatchObject({ transport: 'virtio-blk', irqs: [], rootFs: null });
    expect(s.rootFs).toBeNull();
    expect(s.unavailable.map((u) => u.path)).toEqual(expect.arrayContaining(['/proc/sys/kernel/osrelease', '/proc/cmdline', '/proc/interrupts', '/proc/cpuinfo']));
  });

  it('a disk whose /sys/block link dangles', async () => {
    temp = copyFixture(KVM_FIXTURE);
    rmSync(join(temp, 'sys/devices/pci0000:00'), { recursive: true });
    const s = await detectJson(temp);
    const vda = s.disks.find((d) => d.name === 'vda')!;
    expect(vda).toMatchObject({ transport: 'unknown', sysPath: null, dev: null, sizeBytes: null, vanished: true });
    expect(s.unavailable).toContainEqual({ path: '/sys/block/vda', reason: 'missing', detail: 'disk vanished or link dangling' });
  });

  it('an attribute that is a directory', async () => {
    temp = copyFixture(KVM_FIXTURE);
    rmSync(join(temp, VDA, 'queue/nr_requests'));
    mkdirSync(join(temp, VDA, 'queue/nr_requests'));
    const s = await detectJson(temp);
    expect(s.disks.find((d) => d.name === 'vda')!.settings.nrRequests).toBeNull();
    expect(s.unavailable).toContainEqual({ path: `/${VDA}/queue/nr_requests`, reason: 'not-a-file', detail: 'EISDIR' });
  });

  it('an unreadable attribute, read by an unprivileged user (no root needed for --root)', async (ctx) => {
    // As root, permission bits do not stop reads: run as nobody like an ordinary user.
    const nobody = asNobody(ctx);
    temp = copyFixture(KVM_FIXTURE);
    chmodSync(temp, 0o755);
    chmodSync(join(temp, VDA, 'queue/scheduler'), 0o000);
    const s = await detectJson(temp, nobody.run);
    const vda = s.disks.find((d) => d.name === 'vda')!;
    expect(vda.settings.scheduler).toBeNull();
    expect(vda.settings.rotational).toBe(true);
    expect(s.unavailable).toEqual([{ path: `/${VDA}/queue/scheduler`, reason: 'denied', detail: 'EACCES' }]);
  });
});

describe('nvprobe detect --help', () => {
  it('documents the options and the exit codes', async () => {
    const r = await runCli(['detect', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--root <dir>/);
    expect(r.stdout).toMatch(/--json/);
    expect(r.stdout).toMatch(/Exit codes: 0 ok, 1 runtime failure, 2 bad input \(all of them: nvprobe --help\)/);
    const top = await runCli(['--help']);
    expect(top.stdout).toMatch(/^ +2 {2}usage error or bad input/m);
    expect(top.stdout).toMatch(/^ +130 {2}interrupted/m);
    expect(top.stdout).toMatch(/NVPROBE_STATE_DIR/);
  });
});

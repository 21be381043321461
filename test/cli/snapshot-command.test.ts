import { readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/contracts/detect-document.js';
import { runCli } from '../helpers/cli.js';
import { copyFixture, fixtureRoot, KVM_FIXTURE, makeTemp, removeTemp } from '../helpers/fixtures.js';
import { addNvmeDisk, EBS_NVME_DISK } from '../helpers/tree-edit.js';

const temps: string[] = [];
afterEach(() => temps.splice(0).forEach(removeTemp));
const temp = () => {
  const d = makeTemp();
  temps.push(d);
  return d;
};

async function detect(root: string): Promise<Snapshot> {
  const r = await runCli(['detect', '--json', '--root', root]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Snapshot;
}

/** Every file's content under dir, recursively (links not followed). */
function allText(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}

describe('nvprobe snapshot', () => {
  it('copies a captured tree so that detect reads exactly the same Snapshot', async () => {
    const out = join(temp(), 'copy');
    const r = await runCli(['snapshot', out, '--root', fixtureRoot(KVM_FIXTURE)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*copy: 261 files, 34 links, \d+ directories; 0 identifying values redacted\n$/);
    expect(await detect(out)).toEqual(await detect(fixtureRoot(KVM_FIXTURE)));
  });

  it('keeps the /sys/block chains as relative links', async () => {
    const out = join(temp(), 'copy');
    expect((await runCli(['snapshot', out, '--root', fixtureRoot(KVM_FIXTURE)])).code).toBe(0);
    expect(readlinkSync(join(out, 'sys/block/vda'))).toBe('../devices/pci0000:00/0000:00:02.0/virtio1/block/vda');
    expect(readlinkSync(join(out, 'sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda/device'))).toBe('../../../virtio1');
    expect(statSync(join(out, 'sys/block/vda/queue/scheduler')).isFile()).toBe(true);
  });

  it('replaces serials and WWIDs by stable placeholders', async () => {
    const src = copyFixture(KVM_FIXTURE);
    temps.push(src);
    addNvmeDisk(src, EBS_NVME_DISK);
    const out = join(temp(), 'copy');
    const r = await runCli(['snapshot', out, '--root', src, '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { redacted: string[]; skipped: string[] };
    expect(result.redacted).toEqual(expect.arrayContaining(['/sys/devices/pci0000:00/0000:00:1f.0/nvme/nvme0/serial', '/sys/devices/pci0000:00/0000:00:1f.0/nvme/nvme0/nvme0n1/wwid']));
    expect(result.skipped).toEqual([]);
    expect(allText(out)).not.toContain('vol0123456789abcdef0');
    const before = (await detect(src)).disks.find((d) => d.name === 'nvme0n1')!;
    const after = (await detect(out)).disks.find((d) => d.name === 'nvme0n1')!;
    // Numbered in path order: the captured vda (0000:00:02.0) already holds serial-1.
    expect(after.ids).toEqual({ serial: 'REDACTED-serial-2', wwid: 'REDACTED-wwid-1' });
    expect((await detect(out)).disks.find((d) => d.name === 'vda')!.ids.serial).toBe('REDACTED-serial-1');
    expect({ ...after, ids: null }).toEqual({ ...before, ids: null });
  });

  it('refuses a directory that is not empty (exit 2) and touches nothing in it', async () => {
    const out = temp();
    writeFileSync(join(out, 'keep'), 'x');
    const r = await runCli(['snapshot', out, '--root', fixtureRoot(KVM_FIXTURE)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^nvprobe: .* is not empty\nhint: /);
    expect(readdirSync(out)).toEqual(['keep']);
  });

  it('refuses a file as the target, and a bad --root source', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'f'), 'x');
    expect((await runCli(['snapshot', join(dir, 'f'), '--root', fixtureRoot(KVM_FIXTURE)])).code).toBe(2);
    const bad = await runCli(['snapshot', join(dir, 'out'), '--root', join(dir, 'missing')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^nvprobe: --root .*missing: no such directory/);
    expect(readdirSync(dir)).toEqual(['f']);
  });
});

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderDetectSummary } from '../../src/report/detect-summary.js';
import { detectSnapshot } from '../../src/detect/snapshot.js';
import { Root } from '../../src/host/root.js';
import { copyFixture, KVM_FIXTURE, removeTemp } from '../helpers/fixtures.js';

/**
 * A Root over a real tree that hot-unplugs a PCI device (removes its whole sysfs subtree, as the
 * kernel does) right after a chosen attribute has been read: the race, made deterministic.
 * Detection code runs unchanged; only the tree changes under it.
 */
class UnplugAfterRead extends Root {
  constructor(
    dir: string,
    private readonly trigger: string,
    private readonly device: string,
  ) {
    super(dir);
  }

  override readAttr(guestPath: string) {
    const result = super.readAttr(guestPath);
    if (guestPath.endsWith(this.trigger)) rmSync(join(this.dir, this.device), { recursive: true, force: true });
    return result;
  }
}

const dir = copyFixture(KVM_FIXTURE);
afterAll(() => removeTemp(dir));

describe('a disk that vanishes while it is being read', () => {
  const root = new UnplugAfterRead(dir, '0000:00:02.0/vendor', 'sys/devices/pci0000:00/0000:00:02.0');
  const snap = detectSnapshot(root);
  const vda = snap.disks.find((d) => d.name === 'vda')!;

  it('keeps what was read before, nulls after, and says it vanished', () => {
    expect(vda.transport).toBe('virtio-blk');
    expect(vda.pci?.vendorId).toBe('1af4');
    expect(vda.pci?.deviceId).toBeNull();
    expect(vda.sizeBytes).toBeNull();
    expect(vda.settings.scheduler).toBeNull();
    expect(vda.queues.hwQueues).toBeNull();
    expect(vda.vanished).toBe(true);
    expect(snap.unavailable).toContainEqual({ path: '/sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda/size', reason: 'missing', detail: 'ENOENT' });
  });

  it('leaves the other disks and sections intact', () => {
    expect(snap.disks.find((d) => d.name === 'loop0')).toMatchObject({ transport: 'loop', vanished: false, sizeBytes: 0 });
    expect(snap.cpuidle.driver).toBe('haltpoll');
  });

  it('shows it as gone in the summary', () => {
    expect(renderDetectSummary(snap)).toMatch(/^vda \(gone\) +virtio-blk/m);
  });
});

import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Captured trees under test/fixtures/roots/<scenario>. */
export function fixtureRoot(scenario: string): string {
  return fileURLToPath(new URL(`../fixtures/roots/${scenario}`, import.meta.url));
}

export const KVM_FIXTURE = 'kvm-virtio-1q-haltpoll';
/** Lab guests (QEMU TCG, Debian 6.1 cloud kernel), poll queues off and on: `npm run vm:capture-fixtures`. */
export const QEMU_POLL0_FIXTURE = 'qemu-virtio-nvme-poll0';
export const QEMU_POLL1_FIXTURE = 'qemu-virtio-nvme-poll1';

/** A fresh temp directory; remove it with removeTemp. */
export function makeTemp(prefix = 'nvprobe-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeTemp(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Copy a captured tree into a temp dir for editing, symlinks kept as they are. */
export function copyFixture(scenario: string): string {
  const dir = makeTemp();
  cpSync(fixtureRoot(scenario), dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}

import { describe, expect, it } from 'vitest';
import { bundleHostToken, machineToken } from '../../src/bundle/bundle-identity.js';
import type { MachineIdentity } from '../../src/host/machine-identity.js';

const machine = (over: Partial<MachineIdentity> = {}): MachineIdentity => ({
  hostnames: ['db-7.example.net', 'db-7'],
  users: [],
  machineId: '3d1219c7c4c5404aaa1f6d2a48adfda4',
  cmdline: null,
  ...over,
});

describe('the machine token: one machine recognised across its bundles, never named', () => {
  it('is stable for a machine, and what a redacted bundle is named by', () => {
    const t = machineToken(machine());
    expect(t).toMatch(/^[0-9a-f]{8}$/);
    expect(machineToken(machine())).toBe(t);
    expect(bundleHostToken(machine(), true)).toBe(t);
    // Neither the machine id nor the host name can be read from it.
    expect(t).not.toContain('db-7');
    expect('3d1219c7c4c5404aaa1f6d2a48adfda4').not.toContain(t!);
  });

  it('differs for another machine id, and for a clone that kept the id under another name', () => {
    const t = machineToken(machine());
    expect(machineToken(machine({ machineId: '0123456789abcdef0123456789abcdef' }))).not.toBe(t);
    expect(machineToken(machine({ hostnames: ['db-8.example.net', 'db-8'] }))).not.toBe(t);
  });

  it('is null without a machine id; the redacted host token is then random, bundle by bundle', () => {
    const none = machine({ machineId: null });
    expect(machineToken(none)).toBeNull();
    expect(bundleHostToken(none, true)).toMatch(/^[0-9a-f]{8}$/);
    expect(bundleHostToken(none, true)).not.toBe(bundleHostToken(none, true));
  });

  it('an unredacted bundle is named by its host name, and keeps the same machine token', () => {
    expect(bundleHostToken(machine(), false)).toBe('db-7');
    expect(machineToken(machine())).toBe(bundleHostToken(machine(), true));
  });
});

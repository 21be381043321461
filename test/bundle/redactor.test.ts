import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/bundle/redactor.js';

describe('Redactor', () => {
  it('replaces addresses, MACs, UUIDs and world-wide names with stable tokens', () => {
    const r = new Redactor();
    const out = r.text(
      [
        'eth0: 10.20.30.40/24 gw 10.20.30.1, again 10.20.30.40',
        'inet6 2001:db8::1a2b/64 fe80::fc:ff:fe00:1 and ::1 and 127.0.0.1',
        'link/ether 02:fc:00:00:00:01 brd ff:ff:ff:ff:ff:ff; 0E-CB-DA-1D-7A-82',
        'root=UUID=3F2504E0-4F89-11D3-9A0C-0305E82C3301 wwid eui.0025388b91b2c3d4 nqn.2014-08.org.nvmexpress:uuid:host',
      ].join('\n'),
    );
    expect(out).toBe(
      [
        'eth0: REDACTED-ipv4-1/24 gw REDACTED-ipv4-2, again REDACTED-ipv4-1',
        'inet6 REDACTED-ipv6-1/64 REDACTED-ipv6-2 and ::1 and 127.0.0.1',
        'link/ether REDACTED-mac-1 brd ff:ff:ff:ff:ff:ff; REDACTED-mac-2',
        'root=UUID=REDACTED-uuid-1 wwid REDACTED-wwn-1 REDACTED-wwn-2',
      ].join('\n'),
    );
    expect(r.map().find((e) => e.token === 'REDACTED-mac-2')!.value).toBe('0e:cb:da:1d:7a:82');
  });

  it('leaves look-alikes alone: versions, PCI addresses, times, sysfs paths', () => {
    const r = new Redactor();
    const text = 'Linux 6.1.0-28 1.2.3 /sys/devices/pci0000:00/0000:00:02.0/virtio1 12:30:45 cpu MHz : 2000.000 [    0.123456] x86/fpu';
    expect(r.text(text)).toBe(text);
    expect(r.map()).toEqual([]);
  });

  it('replaces hostnames and user names as whole words only; short hostnames only as written', () => {
    const r = new Redactor();
    r.addLiteral('hostname', 'vm');
    r.addLiteral('hostname', 'db-prod-7.example.com');
    r.addLiteral('user', 'alice');
    expect(r.text('vm kvm-clock vmx [vm] VM DB-PROD-7.example.com alice alicea /home/bob/x')).toBe(
      'REDACTED-hostname-2 kvm-clock vmx [REDACTED-hostname-2] VM REDACTED-hostname-1 REDACTED-user-1 alicea /home/REDACTED-user-2/x',
    );
    // Longest values are replaced first (a short name inside a long one must not break it up).
    expect(r.map().map((e) => e.value)).toEqual(['db-prod-7.example.com', 'alice', 'vm', 'bob']);
  });

  it('does nothing when disabled', () => {
    const r = new Redactor(false);
    r.addLiteral('hostname', 'myhost');
    expect(r.text('myhost 10.0.0.1')).toBe('myhost 10.0.0.1');
    expect(r.token('serial', 'X1')).toBe('X1');
    expect(r.map()).toEqual([]);
  });
});

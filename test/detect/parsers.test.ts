import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCmdline } from '../../src/detect/cmdline.js';
import { formatCpuList, parseCpuList } from '../../src/detect/cpu-list.js';
import { parseScheduler } from '../../src/detect/disk-queues.js';
import { parseInterrupts } from '../../src/detect/interrupts.js';
import { kernelAtLeast, parseKernelVersion } from '../../src/host/kernel-version.js';
import { parseMountinfo, splitDevno } from '../../src/detect/root-fs.js';
import { parseVirtioFeatures } from '../../src/detect/virtio-features.js';

describe('cpu lists', () => {
  it.each([
    ['0-3,8', [0, 1, 2, 3, 8]],
    ['0, 1', [0, 1]],
    ['', []],
    ['5', [5]],
    ['0-1,4-5\n', [0, 1, 4, 5]],
  ])('%j → %j', (text, cpus) => expect(parseCpuList(text)).toEqual(cpus));

  it('rejects what is not a cpu list', () => {
    expect(parseCpuList('ff')).toBeNull();
    expect(parseCpuList('3-1')).toBeNull();
    expect(parseCpuList(null)).toBeNull();
  });

  it('formats compactly', () => {
    expect(formatCpuList([8, 0, 1, 2, 3])).toBe('0-3,8');
    expect(formatCpuList([])).toBe('');
  });
});

describe('kernel versions', () => {
  it('parses distribution releases', () => {
    expect(parseKernelVersion('5.14.0-427.13.1.el9_4.x86_64')).toEqual({ major: 5, minor: 14, patch: 0 });
    expect(parseKernelVersion('6.1')).toEqual({ major: 6, minor: 1, patch: 0 });
    expect(parseKernelVersion('weird')).toBeNull();
  });

  it('compares against a minimum', () => {
    const v = { major: 5, minor: 19, patch: 0 };
    expect(kernelAtLeast(v, '5.19')).toBe(true);
    expect(kernelAtLeast(v, '5.19.1')).toBe(false);
    expect(kernelAtLeast(v, '4.20')).toBe(true);
    expect(kernelAtLeast({ version: null }, '5.19')).toBeNull();
    expect(() => kernelAtLeast(v, 'x')).toThrow(RangeError);
  });
});

describe('kernel cmdline', () => {
  it('splits on spaces, honours quotes, stops at --, normalises - to _', () => {
    const c = parseCmdline('BOOT_IMAGE=/vmlinuz root=UUID=1234 quiet dyndbg="file x.c +p" cpuidle-haltpoll.force=1 console=tty0 console=ttyS0 -- single\n');
    expect(c.params).toEqual({ BOOT_IMAGE: '/vmlinuz', root: 'UUID=1234', quiet: true, dyndbg: 'file x.c +p', 'cpuidle_haltpoll.force': '1', console: 'ttyS0' });
    expect(c.raw).not.toMatch(/\n$/);
  });
});

describe('/proc/interrupts', () => {
  it('reads counts per CPU and handler names after the trigger', () => {
    const t = parseInterrupts(
      [
        '           CPU0       CPU1       CPU2       ',
        ' 36:          0     180759          3  PCI-MSIX-0000:00:02.0   1-edge      virtio1-req.0',
        ' 40:          5          0          0  IR-PCI-MSI 524288-edge      nvme0q0, ehci_hcd:usb1',
        ' 11:          1          2          3   ITS-MSI 16384 Edge      nvme1q1',
        'NMI:          0          0          0   Non-maskable interrupts',
        'ERR:          0',
      ].join('\n'),
    );
    expect(t.cpus).toEqual([0, 1, 2]);
    expect(t.lines).toEqual([
      { irq: 36, counts: [0, 180759, 3], names: ['virtio1-req.0'] },
      { irq: 40, counts: [5, 0, 0], names: ['nvme0q0', 'ehci_hcd:usb1'] },
      { irq: 11, counts: [1, 2, 3], names: ['nvme1q1'] },
    ]);
  });
});

describe('small attribute formats', () => {
  it('scheduler', () => {
    expect(parseScheduler('none [mq-deadline] kyber bfq ')).toEqual({ active: 'mq-deadline', available: ['none', 'mq-deadline', 'kyber', 'bfq'] });
    expect(parseScheduler('none')).toEqual({ active: 'none', available: ['none'] });
  });

  it('virtio features, bit 0 first; packed ring is bit 34', () => {
    const text = `${'0'.repeat(34)}1${'0'.repeat(29)}`;
    expect(parseVirtioFeatures(text)).toEqual([34]);
    expect(parseVirtioFeatures('10x')).toBeNull();
  });

  it('mountinfo with optional fields and escaped spaces', () => {
    const m = parseMountinfo('36 35 98:0 /mnt1 /mnt\\040two rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue\n27 1 254:0 / / rw - ext4 /dev/vda rw\n');
    expect(m).toEqual([
      { dev: '98:0', mountPoint: '/mnt two', fsType: 'ext3', source: '/dev/root' },
      { dev: '254:0', mountPoint: '/', fsType: 'ext4', source: '/dev/vda' },
    ]);
  });

  it('splits dev_t like glibc major()/minor(), including large minors', () => {
    expect(splitDevno((254 << 8) | 0)).toEqual({ major: 254, minor: 0 });
    expect(splitDevno((259n << 8n) | (0x12345n & 0xffn) | ((0x12345n & ~0xffn) << 12n))).toEqual({ major: 259, minor: 0x12345 });
    // /dev/null is 1:3 everywhere.
    expect(splitDevno(statSync('/dev/null').rdev)).toEqual({ major: 1, minor: 3 });
  });
});

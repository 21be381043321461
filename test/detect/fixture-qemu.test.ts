import { describe, expect, it } from 'vitest';
import { renderDetectSummary } from '../../src/report/detect-summary.js';
import { detectDisk } from '../../src/detect/disks.js';
import { detectSnapshot } from '../../src/detect/snapshot.js';
import { Root } from '../../src/host/root.js';
import { fixtureRoot, QEMU_POLL0_FIXTURE, QEMU_POLL1_FIXTURE } from '../helpers/fixtures.js';

// Captured by `npm run vm:capture-fixtures` in the lab guest: QEMU under TCG (-cpu max, i440FX),
// Debian's 6.1 cloud kernel, 2 vCPUs, a 2-queue virtio-blk vda and QEMU's NVMe controller, the
// root filesystem the initramfs itself. Once without poll queues and once with
// virtio_blk.poll_queues=1 nvme.poll_queues=1.
const SCENARIOS = [
  {
    scenario: QEMU_POLL0_FIXTURE,
    poll: 0,
    // One queue per CPU on both disks, each with its own interrupt vector.
    vda: {
      queues: [
        { index: 0, cpus: [0] },
        { index: 1, cpus: [1] },
      ],
      irqs: [
        ['virtio0-req.0', 28, 0, [0], [0]],
        ['virtio0-req.1', 29, 1, [1], [1]],
      ],
    },
    nvme: {
      queues: [
        { index: 0, cpus: [0] },
        { index: 1, cpus: [1] },
      ],
    },
  },
  {
    scenario: QEMU_POLL1_FIXTURE,
    poll: 1,
    // virtio_blk takes the poll queue out of the device's 2 virtqueues: one default queue for
    // every CPU, whose single vector may fire on either, and a poll queue with no vector at all.
    vda: {
      queues: [
        { index: 0, cpus: [0, 1] },
        { index: 1, cpus: [0, 1] },
      ],
      irqs: [['virtio0-req.0', 28, 0, [1], [0, 1]]],
    },
    // nvme adds its poll queue after the per-CPU ones; it gets no vector either.
    nvme: {
      queues: [
        { index: 0, cpus: [0] },
        { index: 1, cpus: [1] },
        { index: 2, cpus: [0, 1] },
      ],
    },
  },
] as const;

describe.each(SCENARIOS)('captured lab guest $scenario', (c) => {
  const root = new Root(fixtureRoot(c.scenario));
  const snap = detectSnapshot(root);
  const disk = (name: string) => snap.disks.find((d) => d.name === name)!;

  it('reads everything, including nohz_full printed as "(null)"', () => {
    expect(snap.unavailable).toEqual([]);
    expect(snap.cpus).toEqual({ online: [0, 1], possible: [0, 1], numaNodes: [{ node: 0, cpus: [0, 1] }], isolated: [], nohzFull: [] });
  });

  it("runs the Debian 6.1 cloud kernel with the lab's poll_queues words", () => {
    expect(snap.machine).toEqual({ architecture: 'x86_64', architectureSource: 'kernel.arch', cpuVendor: 'AuthenticAMD', cpuModel: 'QEMU TCG CPU version 2.5+' });
    expect(snap.kernel.release).toMatch(/^6\.1\.0-\d+-cloud-amd64$/);
    expect(snap.kernel.version).toMatchObject({ major: 6, minor: 1 });
    // io_uring_disabled came with 6.6.
    expect(snap.kernel.ioUringDisabled).toBeNull();
    expect(snap.kernel.cmdline?.params).toMatchObject({ 'nvme.poll_queues': String(c.poll), 'virtio_blk.poll_queues': String(c.poll) });
  });

  it("is QEMU's software emulation, named by the TCG CPU model, not KVM despite DMI QEMU", () => {
    const hv = snap.hypervisor;
    expect(hv).toMatchObject({ kind: 'tcg', vendor: 'QEMU', product: 'Standard PC (i440FX + PIIX, 1996)' });
    expect(hv.signals).toEqual({
      cpuinfoHypervisorFlag: true,
      cpuModel: 'QEMU TCG CPU version 2.5+',
      sysHypervisorType: null,
      dmiSysVendor: 'QEMU',
      dmiProductName: 'Standard PC (i440FX + PIIX, 1996)',
      dmiBiosVendor: 'SeaBIOS',
      currentClocksource: 'hpet',
      availableClocksources: ['hpet', 'acpi_pm'],
      paravirtBuses: [],
      cpuidleDriver: 'none',
    });
    expect(hv.evidence[0]).toMatch(/^cpu model "QEMU TCG CPU version 2\.5\+": QEMU's software emulation \(TCG\)$/);
  });

  it('has no cpuidle driver and no haltpoll: neither the driver (no KVM) nor the governor (not built)', () => {
    const ci = snap.cpuidle;
    expect(ci).toMatchObject({ driver: 'none', governor: 'menu', availableGovernors: ['ladder', 'menu'], cpufreq: [] });
    expect(ci.perCpu).toEqual([
      { cpu: 0, states: [] },
      { cpu: 1, states: [] },
    ]);
    expect(ci.haltpoll).toMatchObject({ driverActive: false, governorBuilt: false, governorActive: false, forced: false, parameters: null, polling: false, absence: 'driver-not-loaded' });
    expect(ci.haltpoll.explanation).toMatch(/haltpoll governor is not built either/);
  });

  it('has its root filesystem in memory, on no disk', () => {
    expect(snap.rootFs).toEqual({ device: null, disk: null, dev: '0:2', fsType: 'rootfs', source: 'rootfs', from: '/proc/self/mountinfo' });
    expect(snap.disks.map((d) => [d.name, d.rootFs])).toEqual([
      ['nvme0n1', null],
      ['vda', null],
    ]);
  });

  it('reads vda as a transitional virtio-blk PCI device without a serial', () => {
    expect(disk('vda')).toMatchObject({
      dev: '254:0',
      sysPath: '/sys/devices/pci0000:00/0000:00:02.0/virtio0/block/vda',
      transport: 'virtio-blk',
      driver: 'virtio_blk',
      model: null,
      ids: { serial: null, wwid: null },
      sizeBytes: 256 * 1024 ** 2,
      numaNode: -1,
      nvme: null,
    });
    expect(disk('vda').pci).toEqual({ address: '0000:00:02.0', vendorId: '1af4', deviceId: '1001', subsystemVendorId: '1af4', subsystemDeviceId: '0002', numaNode: -1, localCpus: [0, 1] });
  });

  it("decodes vda's virtio features: multiqueue and ring reset, no packed ring (QEMU offers it only with packed=on)", () => {
    expect(disk('vda').virtio).toEqual({
      device: 'virtio0',
      featureBits: [2, 4, 6, 9, 10, 11, 12, 13, 14, 28, 29, 32, 40],
      features: ['SEG_MAX', 'GEOMETRY', 'BLK_SIZE', 'FLUSH', 'TOPOLOGY', 'CONFIG_WCE', 'MQ', 'DISCARD', 'WRITE_ZEROES', 'RING_INDIRECT_DESC', 'RING_EVENT_IDX', 'VERSION_1', 'RING_RESET'],
      packedRing: false,
      multiqueue: true,
    });
  });

  it(`gives vda 2 hardware queues, poll_queues=${c.poll}, and a vector for each non-poll queue`, () => {
    const vda = disk('vda');
    expect(vda.queues).toEqual({
      hwQueues: 2,
      queues: c.vda.queues,
      ioPoll: c.poll === 1,
      ioPollDelay: -1,
      pollQueuesParam: c.poll,
      pollQueuesParamPath: '/sys/module/virtio_blk/parameters/poll_queues',
    });
    expect(vda.irqs.map((i) => [i.name, i.irq, i.queue, i.effectiveCpus, i.affinityCpus])).toEqual(c.vda.irqs);
    for (const irq of vda.irqs) expect(irq.count).toBeGreaterThanOrEqual(0);
  });

  it("reads nvme0n1 as QEMU's emulated NVMe controller", () => {
    expect(disk('nvme0n1')).toMatchObject({
      dev: '259:0',
      sysPath: '/sys/devices/pci0000:00/0000:00:03.0/nvme/nvme0/nvme0n1',
      transport: 'nvme',
      driver: 'nvme',
      model: 'QEMU NVMe Ctrl',
      ids: { serial: 'REDACTED-serial-1', wwid: 'REDACTED-wwid-1' },
      sizeBytes: 256 * 1024 ** 2,
      virtio: null,
    });
    expect(disk('nvme0n1').pci).toEqual({ address: '0000:00:03.0', vendorId: '1b36', deviceId: '0010', subsystemVendorId: '1af4', subsystemDeviceId: '1100', numaNode: -1, localCpus: [0, 1] });
    // The firmware revision QEMU reports is its own version.
    expect(disk('nvme0n1').nvme).toEqual({ controller: 'nvme0', kind: 'qemu-emulated', emulated: true, firmware: expect.stringMatching(/^\d+\.\d+\.\d+$/), transport: 'pcie', multipathPaths: [] });
  });

  it(`gives nvme0n1 ${2 + c.poll} hardware queues, poll_queues=${c.poll}, and vectors for the per-CPU queues only`, () => {
    const nvme = disk('nvme0n1');
    expect(nvme.queues).toEqual({
      hwQueues: 2 + c.poll,
      queues: c.nvme.queues,
      ioPoll: c.poll === 1,
      ioPollDelay: -1,
      pollQueuesParam: c.poll,
      pollQueuesParamPath: '/sys/module/nvme/parameters/poll_queues',
    });
    // nvme0q0 (irq 24) is the admin queue.
    expect(nvme.irqs.map((i) => [i.name, i.irq, i.queue, i.effectiveCpus, i.affinityCpus])).toEqual([
      ['nvme0q1', 25, 0, [0], [0]],
      ['nvme0q2', 26, 1, [1], [1]],
    ]);
  });

  it('leaves both disks without an I/O scheduler (more than one hardware queue) and vda rotational', () => {
    expect(disk('vda').settings).toMatchObject({ scheduler: 'none', availableSchedulers: ['none', 'mq-deadline'], rotational: true, nrRequests: 256, logicalBlockSize: 512, maxSectorsKb: 1280 });
    expect(disk('nvme0n1').settings).toMatchObject({ scheduler: 'none', availableSchedulers: ['none', 'mq-deadline'], rotational: false, nrRequests: 1023, logicalBlockSize: 512, maxSectorsKb: 512 });
  });

  it("reports both drivers' poll_queues parameters", () => {
    expect(snap.driverModules.virtio_blk).toEqual({ num_request_queues: '0', poll_queues: String(c.poll), queue_depth: '0' });
    expect(snap.driverModules.nvme).toMatchObject({ poll_queues: String(c.poll), write_queues: '0', io_queue_depth: '1024' });
    expect(snap.driverModules.nvme_core).toMatchObject({ io_timeout: '30', multipath: 'Y' });
  });

  it('gives the same disks through detectDisk alone', () => {
    for (const name of ['vda', 'nvme0n1']) {
      const { unavailable, ...alone } = detectDisk(root, name);
      expect(unavailable).toEqual([]);
      expect(alone).toEqual(disk(name));
    }
  });

  it('shows both disks and the TCG verdict in the summary', () => {
    const text = renderDetectSummary(snap);
    expect(text).toMatch(/^hypervisor +tcg \(QEMU \/ Standard PC \(i440FX \+ PIIX, 1996\)\)$/m);
    expect(text).toMatch(new RegExp(`^nvme0n1 +nvme +QEMU NVMe Ctrl \\(qemu-emulated\\) +256 MiB +${2 + c.poll} +${c.poll} +${c.poll ? 'yes' : 'no'} +none +no +-1 +-$`, 'm'));
    expect(text).toMatch(new RegExp(`^vda +virtio-blk +pci 1af4:1001 +256 MiB +2 +${c.poll} +${c.poll ? 'yes' : 'no'} +none +yes +-1 +-$`, 'm'));
    expect(text).not.toMatch(/unavailable/);
  });
});

import { describe, expect, it } from 'vitest';
import { detectDisk } from '../../src/detect/disks.js';
import { kernelAtLeast } from '../../src/host/kernel-version.js';
import { blockDeviceForDevno, diskNameForDevno, findRootFsDevice } from '../../src/detect/root-fs.js';
import { SNAPSHOT_SCHEMA_VERSION } from '../../src/contracts/detect-document.js';
import { detectSnapshot } from '../../src/detect/snapshot.js';
import { Root } from '../../src/host/root.js';
import { fixtureRoot, KVM_FIXTURE } from '../helpers/fixtures.js';

// Captured with `nvprobe snapshot` on a Firecracker-style KVM guest: virtio-blk vda with one
// hardware queue, no DMI, cpuidle-haltpoll forced with guest_halt_poll_ns=0.
const root = new Root(fixtureRoot(KVM_FIXTURE));
const snap = detectSnapshot(root);
const vda = snap.disks.find((d) => d.name === 'vda')!;

describe('captured KVM guest: machine, kernel, hypervisor', () => {
  it('has the schema version and reads nothing it cannot explain', () => {
    expect(snap.schemaVersion).toBe(SNAPSHOT_SCHEMA_VERSION);
    expect(snap.unavailable).toEqual([]);
  });

  it('reads the kernel release, version and cmdline', () => {
    expect(snap.machine).toMatchObject({ architecture: 'x86_64', architectureSource: 'kernel.arch', cpuVendor: 'AuthenticAMD', cpuModel: 'AMD EPYC' });
    expect(snap.kernel.release).toBe('6.18.44-fc-v595');
    expect(snap.kernel.version).toEqual({ major: 6, minor: 18, patch: 44 });
    expect(kernelAtLeast(snap.kernel, '5.19')).toBe(true);
    expect(kernelAtLeast(snap.kernel, '6.18.45')).toBe(false);
    expect(snap.kernel.ioUringDisabled).toBe(0);
    expect(snap.kernel.cmdline?.params['cpuidle_haltpoll.force']).toBe('1');
    expect(snap.kernel.cmdline?.params['haltpoll.guest_halt_poll_ns']).toBe('0');
    expect(snap.kernel.cmdline?.params.quiet).toBe(true);
    // The capture dropped init's own arguments; none of them became kernel parameters.
    expect(snap.kernel.cmdline?.raw).toMatch(/ -- REDACTED-init-args$/);
    expect(Object.keys(snap.kernel.cmdline!.params)).not.toContain('REDACTED-init-args');
  });

  it('is KVM without any DMI, from the clocksource and the haltpoll driver', () => {
    const hv = snap.hypervisor;
    expect(hv.kind).toBe('kvm');
    expect(hv.vendor).toBeNull();
    expect(hv.product).toBeNull();
    expect(hv.signals).toMatchObject({
      cpuinfoHypervisorFlag: true,
      dmiSysVendor: null,
      currentClocksource: 'tsc',
      availableClocksources: ['tsc', 'kvm-clock'],
      sysHypervisorType: null,
      cpuidleDriver: 'haltpoll',
    });
    expect(hv.evidence[0]).toBe('clocksource kvm-clock available (current: tsc)');
    expect(hv.evidence).toContain('no DMI (/sys/class/dmi/id absent)');
  });

  it('reads CPUs and NUMA', () => {
    expect(snap.cpus).toEqual({ online: [0, 1], possible: [0, 1], numaNodes: [{ node: 0, cpus: [0, 1] }], isolated: [], nohzFull: null });
  });
});

describe('captured KVM guest: cpuidle and haltpoll', () => {
  it('has the haltpoll driver and governor with polling disabled', () => {
    const ci = snap.cpuidle;
    expect(ci.driver).toBe('haltpoll');
    expect(ci.governor).toBe('haltpoll');
    expect(ci.availableGovernors).toEqual(['ladder', 'menu', 'haltpoll']);
    expect(ci.haltpoll).toMatchObject({ driverActive: true, governorBuilt: true, governorActive: true, forced: true, polling: false, absence: null });
    expect(ci.haltpoll.parameters).toEqual({ guestHaltPollNs: 0, guestHaltPollShrink: 2, guestHaltPollGrow: 2, guestHaltPollGrowStart: 50000, guestHaltPollAllowShrink: true });
    expect(ci.haltpoll.explanation).toMatch(/guest_halt_poll_ns = 0/);
  });

  it('lists state0 POLL and state1 haltpoll idle on each CPU', () => {
    expect(snap.cpuidle.perCpu.map((c) => c.cpu)).toEqual([0, 1]);
    for (const { states } of snap.cpuidle.perCpu) {
      expect(states.map((s) => s.name)).toEqual(['POLL', 'haltpoll idle']);
      expect(states[0]).toMatchObject({ index: 0, desc: 'CPUIDLE CORE POLL IDLE', latencyUs: 0, residencyUs: 0, disabled: false });
      expect(states[1]).toMatchObject({ index: 1, desc: 'default architecture idle', latencyUs: 1, residencyUs: 1, disabled: false });
      expect(states[1]!.usage).toBeGreaterThan(0);
      expect(states[1]!.timeUs).toBeGreaterThan(0);
    }
  });

  it('has no PM QoS constraint and no cpufreq', () => {
    expect(snap.cpuidle.resumeLatency).toEqual([
      { cpu: 0, raw: '0', limitUs: null },
      { cpu: 1, raw: '0', limitUs: null },
    ]);
    expect(snap.cpuidle.cpufreq).toEqual([]);
  });
});

describe('captured KVM guest: disks', () => {
  it('lists every /sys/block entry in natural order', () => {
    expect(snap.disks.map((d) => d.name)).toEqual(['loop0', 'loop1', 'loop2', 'loop3', 'loop4', 'loop5', 'loop6', 'loop7', 'vda', 'zram0']);
  });

  it('reads vda as a single-queue virtio-blk disk without polling, holding /', () => {
    expect(vda).toMatchObject({
      dev: '254:0',
      sysPath: '/sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda',
      transport: 'virtio-blk',
      driver: 'virtio_blk',
      model: null,
      sizeBytes: 256 * 1024 ** 3,
      readOnly: false,
      numaNode: -1,
      rootFs: 'self',
      vanished: false,
    });
    expect(vda.ids.serial).toBe('REDACTED-serial-1');
    expect(vda.pci).toEqual({ address: '0000:00:02.0', vendorId: '1af4', deviceId: '1042', subsystemVendorId: '1af4', subsystemDeviceId: '1042', numaNode: -1, localCpus: [0, 1] });
    expect(vda.queues).toEqual({
      hwQueues: 1,
      queues: [{ index: 0, cpus: [0, 1] }],
      ioPoll: false,
      ioPollDelay: -1,
      pollQueuesParam: 0,
      pollQueuesParamPath: '/sys/module/virtio_blk/parameters/poll_queues',
    });
    expect(vda.settings).toMatchObject({
      scheduler: 'mq-deadline',
      availableSchedulers: ['none', 'mq-deadline', 'kyber', 'bfq'],
      rotational: true,
      nrRequests: 256,
      nomerges: 0,
      rqAffinity: 1,
      addRandom: false,
      iostats: true,
      wbtLatUsec: 75000,
      logicalBlockSize: 512,
      physicalBlockSize: 4096,
    });
  });

  it('decodes the virtio feature bits: version 1, event idx, no packed ring, no multiqueue', () => {
    expect(vda.virtio).toEqual({
      device: 'virtio1',
      featureBits: [2, 6, 9, 10, 13, 29, 32],
      features: ['SEG_MAX', 'BLK_SIZE', 'FLUSH', 'TOPOLOGY', 'DISCARD', 'RING_EVENT_IDX', 'VERSION_1'],
      packedRing: false,
      multiqueue: false,
    });
  });

  it('finds the one request-queue interrupt and where it is delivered', () => {
    expect(vda.irqs).toHaveLength(1);
    expect(vda.irqs[0]).toMatchObject({ irq: 36, name: 'virtio1-req.0', queue: 0, effectiveCpus: [1], affinityCpus: [0, 1] });
    expect(vda.irqs[0]!.count).toBeGreaterThan(0);
  });

  it('reads loop and zram devices as virtual, bio-based zram without queues', () => {
    const loop0 = snap.disks.find((d) => d.name === 'loop0')!;
    expect(loop0).toMatchObject({ transport: 'loop', pci: null, virtio: null, rootFs: null, sizeBytes: 0 });
    expect(loop0.queues.hwQueues).toBe(1);
    const zram = snap.disks.find((d) => d.name === 'zram0')!;
    expect(zram).toMatchObject({ transport: 'zram', dev: '253:0' });
    expect(zram.queues.hwQueues).toBeNull();
    expect(zram.settings.scheduler).toBeNull();
  });

  it('finds the root filesystem and maps device numbers to disks', () => {
    expect(snap.rootFs).toEqual({ device: 'vda', disk: 'vda', dev: '254:0', fsType: 'ext4', source: '/dev/vda', from: '/proc/self/mountinfo' });
    expect(findRootFsDevice(root)).toEqual(snap.rootFs);
    expect(diskNameForDevno(root, 254, 0)).toBe('vda');
    expect(blockDeviceForDevno(root, 7, 3)).toEqual({ device: 'loop3', disk: 'loop3' });
    expect(diskNameForDevno(root, 8, 0)).toBeNull();
  });

  it('gives the same disk through detectDisk alone', () => {
    const { unavailable, ...alone } = detectDisk(root, 'vda');
    expect(unavailable).toEqual([]);
    expect(alone).toEqual(vda);
  });

  it('reports the storage driver parameters', () => {
    expect(snap.driverModules).toEqual({ virtio_blk: { num_request_queues: '0', poll_queues: '0', queue_depth: '0' } });
  });
});

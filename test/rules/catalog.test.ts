import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/contracts/detect-document.js';
import { detectSnapshot } from '../../src/detect/snapshot.js';
import { Root } from '../../src/host/root.js';
import { evaluateRules } from '../../src/rules/evaluate.js';
import { defaultRuleDirs, loadRules } from '../../src/rules/load.js';
import type { Finding } from '../../src/contracts/rule-types.js';
import { copyFixture, fixtureRoot, KVM_FIXTURE, removeTemp } from '../helpers/fixtures.js';
import { addNvmeDisk, writeFiles } from '../helpers/tree-edit.js';

const loaded = loadRules(defaultRuleDirs());
const rules = loaded.rules;
const temps: string[] = [];
afterAll(() => temps.forEach(removeTemp));

function snapshotOf(dir: string): Snapshot {
  return detectSnapshot(new Root(dir));
}
/** A copy of the captured KVM tree, edited; `edit` writes the files the changed kernel state would show. */
function editedKvm(edit: (dir: string) => void): Snapshot {
  const dir = copyFixture(KVM_FIXTURE);
  temps.push(dir);
  edit(dir);
  return snapshotOf(dir);
}
function byId(findings: Finding[]): Record<string, Finding> {
  return Object.fromEntries(findings.map((f) => [f.id, f]));
}
const CPUIDLE = '/sys/devices/system/cpu/cpuidle';

describe('the built-in rule catalog', () => {
  it('loads without a single problem, and every rule explains itself', () => {
    expect(loaded.errors).toEqual([]);
    expect(rules.length).toBeGreaterThanOrEqual(17);
    for (const r of rules) {
      expect(r.rationale.length, r.id).toBeGreaterThan(80);
      expect(r.references.length, r.id).toBeGreaterThan(0);
    }
  });

  describe('on the captured KVM guest (this machine kind)', () => {
    const f = byId(evaluateRules(snapshotOf(fixtureRoot(KVM_FIXTURE)), rules));

    it('recommends turning haltpoll polling on, with the grid tune will measure', () => {
      const h = f['haltpoll-polling-disabled']!;
      expect(h.status).toBe('recommend');
      expect(h.severity).toBe('high');
      expect(h.title).toContain('guest_halt_poll_ns = 0');
      expect(h.evidence).toContainEqual({ field: 'cpuidle.haltpoll.parameters.guestHaltPollNs', value: 0, source: '/sys/module/haltpoll/parameters/guest_halt_poll_ns' });
      expect(h.actions).toEqual([
        {
          kind: 'module-param',
          target: 'haltpoll.guest_halt_poll_ns',
          module: 'haltpoll',
          param: 'guest_halt_poll_ns',
          value: 200000,
          grid: [0, 25000, 50000, 100000, 200000, 400000],
          runtime: true,
          reboot: false,
        },
      ]);
      expect(h.reboot).toBe(false);
    });

    it('recommends scheduler none for vda, at once', () => {
      const s = f['scheduler-not-none:vda']!;
      expect(s.status).toBe('recommend');
      expect(s.subject).toBe('vda');
      expect(s.evidence).toContainEqual({ field: 'disk.settings.scheduler', value: 'mq-deadline', source: '/sys/block/vda/queue/scheduler' });
      expect(s.actions[0]).toMatchObject({ kind: 'queue-attr', target: 'vda:queue/scheduler', disk: 'vda', attr: 'scheduler', value: 'none', runtime: true });
    });

    it('no poll queues for vda: its one queue is the one virtio_blk keeps for interrupts (the host advice below is what helps)', () => {
      expect(f['poll-queues-missing-virtio-blk:vda']!.status).toBe('n/a');
    });

    it('asks the host for one queue per vCPU, in pasteable libvirt XML and QEMU syntax', () => {
      const q = f['virtio-blk-fewer-queues-than-vcpus:vda']!;
      expect(q.status).toBe('advise');
      expect(q.title).toBe('vda: 1 virtio-blk queue(s) for 2 vCPUs');
      expect(q.evidence).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'disk.queues.hwQueues', value: 1 }), expect.objectContaining({ field: 'cpus.online.length', value: 2 })]));
      expect(q.hostAdvice?.libvirtXml).toContain("queues='2'");
      expect(q.hostAdvice?.qemu).toContain('num-queues=2');
    });

    it('gives every other rule the verdict this machine deserves', () => {
      const status = Object.fromEntries(Object.values(f).map((x) => [x.id, x.status]));
      expect(status).toMatchObject({
        'haltpoll-driver-not-loaded': 'ok',
        'haltpoll-governor-not-built': 'ok',
        'haltpoll-governor-not-selected': 'ok',
        'virtio-blk-rotational:vda': 'recommend',
        'add-random-on:vda': 'ok',
        'iostats-on:vda': 'recommend',
        'io-uring-disabled': 'ok',
        'polled-io-needs-io-uring:vda': 'n/a',
        'virtio-packed-ring-off:vda': 'advise',
        'virtio-blk-iothread:vda': 'advise',
        'kvm-hint-dedicated-missing': 'advise',
        'single-queue-irq-cpu:vda': 'info',
        'disk-on-remote-numa-node:vda': 'n/a',
        'nvme-emulated-by-qemu:vda': 'n/a',
        'virtio-scsi-where-virtio-blk-would-do:vda': 'n/a',
      });
      expect(f['single-queue-irq-cpu:vda']!.rationale).toMatch(/delivered to CPU\(s\) \d/);
      // Loop and zram devices never get virtio or NVMe advice.
      expect(Object.values(f).filter((x) => /:(loop|zram)\d+$/.test(x.id) && x.status !== 'n/a')).toEqual([]);
    });
  });

  describe('on the captured QEMU lab guests (TCG, virtio-blk + emulated NVMe)', () => {
    const status = (scenario: string) => Object.fromEntries(evaluateRules(snapshotOf(fixtureRoot(scenario)), rules).map((f) => [f.id, f.status]));

    it('without poll queues: recommends them for both disks and advises on the emulated NVMe', () => {
      expect(status('qemu-virtio-nvme-poll0')).toMatchObject({
        'poll-queues-missing-virtio-blk:vda': 'recommend',
        'poll-queues-missing-nvme:nvme0n1': 'recommend',
        'nvme-emulated-by-qemu:nvme0n1': 'advise',
        'polled-io-needs-io-uring:vda': 'n/a',
        'scheduler-not-none:vda': 'ok',
        'haltpoll-driver-not-loaded': 'n/a',
        'virtio-blk-iothread:vda': 'n/a', // TCG, not KVM
      });
    });

    it('with poll queues: no poll-queue recommendation; io_uring IOPOLL is what uses them', () => {
      expect(status('qemu-virtio-nvme-poll1')).toMatchObject({
        'poll-queues-missing-virtio-blk:vda': 'ok',
        'poll-queues-missing-nvme:nvme0n1': 'ok',
        'polled-io-needs-io-uring:vda': 'info',
        'polled-io-needs-io-uring:nvme0n1': 'info',
        'single-queue-irq-cpu:vda': 'info',
      });
    });
  });

  describe('on edited copies, for the branches this machine does not reach', () => {
    it('haltpoll driver not loaded: force it on the command line, and ask the host for hint-dedicated', () => {
      const snap = editedKvm((d) => {
        writeFiles(d, { [`${CPUIDLE}/current_driver`]: 'acpi_idle', [`${CPUIDLE}/current_governor`]: 'menu' });
        rmSync(`${d}/sys/module/haltpoll`, { recursive: true, force: true });
        rmSync(`${d}/sys/module/cpuidle_haltpoll`, { recursive: true, force: true });
      });
      const f = byId(evaluateRules(snap, rules));
      expect(f['haltpoll-driver-not-loaded']!.status).toBe('recommend');
      expect(f['haltpoll-driver-not-loaded']!.actions[0]).toMatchObject({ kind: 'kernel-cmdline', param: 'cpuidle_haltpoll.force', value: 1, reboot: true });
      expect(f['haltpoll-driver-not-loaded']!.hostAdvice?.libvirtXml).toContain("<hint-dedicated state='on'/>");
      expect(f['haltpoll-polling-disabled']!.status).toBe('n/a');
    });

    it('haltpoll governor not built: offers per-CPU PM QoS and says what it costs', () => {
      const snap = editedKvm((d) => rmSync(`${d}/sys/module/haltpoll`, { recursive: true, force: true }));
      const f = byId(evaluateRules(snap, rules));
      expect(f['haltpoll-governor-not-built']!.status).toBe('recommend');
      expect(f['haltpoll-governor-not-built']!.actions[0]).toMatchObject({ kind: 'pm-qos', value: 0, runtime: true });
      expect(f['haltpoll-governor-not-built']!.rationale).toMatch(/CPU polls whenever it is idle/);
      expect(f['haltpoll-polling-disabled']!.status).not.toBe('recommend');
    });

    it('another governor selected: switch it on the command line', () => {
      const snap = editedKvm((d) => writeFiles(d, { [`${CPUIDLE}/current_governor`]: 'menu' }));
      const f = byId(evaluateRules(snap, rules));
      expect(f['haltpoll-governor-not-selected']!.status).toBe('recommend');
      expect(f['haltpoll-governor-not-selected']!.title).toContain('menu');
      expect(f['haltpoll-governor-not-selected']!.actions[0]).toMatchObject({ param: 'cpuidle.governor', value: 'haltpoll' });
    });

    it('polling already on, scheduler none, not rotational, no add_random: all fine', () => {
      const snap = editedKvm((d) =>
        writeFiles(d, {
          '/sys/module/haltpoll/parameters/guest_halt_poll_ns': 200000,
          '/sys/block/vda/queue/scheduler': '[none] mq-deadline kyber bfq',
          '/sys/block/vda/queue/rotational': 0,
          '/sys/block/vda/queue/add_random': 0,
        }),
      );
      const f = byId(evaluateRules(snap, rules));
      for (const id of ['haltpoll-polling-disabled', 'scheduler-not-none:vda', 'virtio-blk-rotational:vda', 'add-random-on:vda']) expect(f[id]!.status, id).toBe('ok');
    });

    it('add_random on and io_uring disabled by sysctl', () => {
      const snap = editedKvm((d) => writeFiles(d, { '/sys/block/vda/queue/add_random': 1, '/proc/sys/kernel/io_uring_disabled': 2 }));
      const f = byId(evaluateRules(snap, rules));
      expect(f['add-random-on:vda']!.status).toBe('recommend');
      expect(f['io-uring-disabled']!.status).toBe('info');
      expect(f['io-uring-disabled']!.actions).toEqual([]);
      expect(f['io-uring-disabled']!.title).toContain('= 2');
    });

    it('an emulated QEMU NVMe disk: poll queues, and ask for PCI assignment', () => {
      const snap = editedKvm((d) =>
        addNvmeDisk(d, {
          pciAddress: '0000:00:04.0',
          vendor: '1b36',
          device: '0010',
          subsystemVendor: '1af4',
          subsystemDevice: '1100',
          model: 'QEMU NVMe Ctrl',
          serial: 'nvp1',
          controller: 'nvme0',
          namespace: 'nvme0n1',
          dev: '259:0',
          sectors: 2097152,
          hwQueues: 2,
          firstIrq: 50,
          numaNode: -1,
        }),
      );
      const f = byId(evaluateRules(snap, rules));
      expect(f['nvme-emulated-by-qemu:nvme0n1']!.status).toBe('advise');
      expect(f['nvme-emulated-by-qemu:nvme0n1']!.hostAdvice?.libvirtXml).toContain('<hostdev');
      expect(f['poll-queues-missing-nvme:nvme0n1']!.status).toBe('recommend');
      expect(f['poll-queues-missing-nvme:nvme0n1']!.actions[0]).toMatchObject({ param: 'nvme.poll_queues', reboot: true });
      expect(f['scheduler-not-none:nvme0n1']!.status).toBe('ok');
      expect(f['virtio-blk-fewer-queues-than-vcpus:nvme0n1']!.status).toBe('n/a');
    });
  });

  describe('on edited Snapshots (evaluation is pure: Snapshot in, findings out)', () => {
    const base = snapshotOf(fixtureRoot(KVM_FIXTURE));
    const clone = (): Snapshot => structuredClone(base);
    const vda = (s: Snapshot) => s.disks.find((d) => d.name === 'vda')!;

    it('two queues and no poll queue: poll queues recommended, which need a reboot', () => {
      const s = clone();
      vda(s).queues.hwQueues = 2;
      const p = byId(evaluateRules(s, rules))['poll-queues-missing-virtio-blk:vda']!;
      expect(p.status).toBe('recommend');
      expect(p.actions).toEqual([{ kind: 'kernel-cmdline', target: 'cmdline:virtio_blk.poll_queues', param: 'virtio_blk.poll_queues', value: 1, runtime: false, reboot: true }]);
      expect(p.reboot).toBe(true);
      expect(p.rationale).toMatch(/io_uring/);
    });

    it('a disk with poll queues on a kernel >= 5.19: io_uring IOPOLL, not poll-queue advice', () => {
      const s = clone();
      vda(s).queues.hwQueues = 2;
      vda(s).queues.ioPoll = true;
      const f = byId(evaluateRules(s, rules));
      expect(f['poll-queues-missing-virtio-blk:vda']!.status).toBe('ok');
      expect(f['polled-io-needs-io-uring:vda']!.status).toBe('info');
      s.kernel.version = { major: 5, minor: 15, patch: 0 };
      expect(byId(evaluateRules(s, rules))['polled-io-needs-io-uring:vda']!.status).toBe('n/a');
    });

    it('enough queues and a packed ring: no host advice for them', () => {
      const s = clone();
      vda(s).queues.hwQueues = 2;
      vda(s).virtio!.packedRing = true;
      const f = byId(evaluateRules(s, rules));
      expect(f['virtio-blk-fewer-queues-than-vcpus:vda']!.status).toBe('ok');
      expect(f['virtio-packed-ring-off:vda']!.status).toBe('ok');
    });

    it("virtio-scsi: suggest virtio-blk; multi-node guest: name the disk's node", () => {
      const s = clone();
      vda(s).transport = 'virtio-scsi';
      vda(s).numaNode = 1;
      s.cpus.numaNodes = [
        { node: 0, cpus: [0] },
        { node: 1, cpus: [1] },
      ];
      const f = byId(evaluateRules(s, rules));
      expect(f['virtio-scsi-where-virtio-blk-would-do:vda']!.status).toBe('advise');
      expect(f['disk-on-remote-numa-node:vda']!.status).toBe('info');
      expect(f['disk-on-remote-numa-node:vda']!.rationale).toContain('--cpunodebind=1');
      expect(f['scheduler-not-none:vda']!.status).toBe('n/a');
    });

    it('never fires on what could not be read', () => {
      const s = clone();
      vda(s).queues.hwQueues = 2;
      vda(s).queues.ioPoll = null;
      vda(s).settings.scheduler = null;
      s.cpuidle.haltpoll.parameters = null;
      const f = byId(evaluateRules(s, rules));
      expect(f['poll-queues-missing-virtio-blk:vda']!.status).toBe('ok');
      expect(f['scheduler-not-none:vda']!.status).toBe('ok');
      expect(f['haltpoll-polling-disabled']!.status).toBe('ok');
    });

    it('is deterministic', () => {
      expect(evaluateRules(base, rules)).toEqual(evaluateRules(clone(), rules));
    });
  });
});

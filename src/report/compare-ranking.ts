import type { ReadSide } from '../contracts/compare-document.js';
import type { DiskInfo } from '../contracts/detect-disks.js';
import type { Snapshot } from '../contracts/detect-document.js';
import { formatCpuList } from '../detect/cpu-list.js';
import { diskModel } from './detect-summary.js';
import { fmtBytes } from './format.js';

/** What one side says about its machine: a bundle's snapshot, and what its probe or run measured with. */
export interface MachineFacts {
  snapshot: Snapshot | null;
  kernelRelease: string | null;
  /** The engine of the probe or run, and whether its reads completed by polling. */
  engine: { name: string; polled: boolean } | null;
  /** What the probe or run read: the disk under it, and whether through a file or the device itself. */
  target: { disk: string | null; kind: 'block' | 'file' } | null;
  /** The size of each read in bytes (a probe's --bs; tune reads 4 KiB). */
  blockSize: number | null;
}

/**
 * One value, or a family of them by name (a boot parameter, a module parameter), as shown.
 * undefined: this side cannot say (no snapshot).
 */
type Values = Record<string, string> | undefined;

interface Entry<T> {
  key: string;
  label: string;
  acts: ReadSide;
  /** Why it matters for a QD1 read, in one line. */
  why: string;
  read(x: T): Values;
  /** A family member set on one side only: what the other side shows. */
  unset?: string;
  /** Compare only the members both sides have (a module's parameters exist only where it is loaded). */
  bothOnly?: true;
}

export type RankedEntry = ({ scope: 'machine' } & Entry<MachineFacts>) | ({ scope: 'disk' } & Entry<DiskInfo>);

const one = (v: string | number | boolean | null | undefined): Record<string, string> => ({ '': show(v) });
const show = (v: string | number | boolean | null | undefined): string => (v === null || v === undefined ? '-' : typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v));
/** Facts only a snapshot has. */
const snap =
  (f: (s: Snapshot) => Record<string, string>) =>
  (m: MachineFacts): Values =>
    m.snapshot ? f(m.snapshot) : undefined;
/** The kernel command line's parameters among `names`, as set ("set" for a bare flag). */
const cmdline = (names: readonly string[]) =>
  snap((s) => {
    const params = s.kernel.cmdline?.params ?? {};
    return Object.fromEntries(names.filter((n) => params[n] !== undefined).map((n) => [n, params[n] === true ? 'set' : String(params[n])]));
  });
const cpus = (list: number[] | null) => (list === null ? 'unknown' : list.length === 0 ? 'none' : formatCpuList(list));

/**
 * The ranking: what matters most for a QD1 read first. A read is a syscall, a request through the
 * guest's block layer and driver, the device and the host behind it, and a completion that wakes
 * the reading thread: what decides whether that wake-up is a VM exit, whether the completion is
 * polled, and which path the request takes weighs tens of µs; a queue's accounting or read-ahead
 * weighs nanoseconds or nothing. The order of this table is the rank; `acts` says which side of
 * the read a setting acts on, so that the closing sentence cites a difference on the side that moved.
 */
export const RANKING: readonly RankedEntry[] = [
  {
    scope: 'machine',
    key: 'hypervisor',
    label: 'hypervisor',
    acts: 'both',
    why: "every exit, interrupt and wake-up of a read goes through it; TCG emulates, it is no device's latency",
    read: snap((s) => one(s.hypervisor.kind)),
  },
  {
    scope: 'machine',
    key: 'target',
    label: 'measured',
    acts: 'both',
    why: 'what the reads went to: another disk, or a file instead of the device, is another measurement',
    read: (m) => (m.target ? one(`${m.target.disk ?? 'no disk'} (${m.target.kind === 'block' ? 'the device' : 'a file on it'})`) : undefined),
  },
  {
    scope: 'machine',
    key: 'blockSize',
    label: 'block size',
    acts: 'both',
    why: 'how much each read transfers: a larger block takes longer on the device and to copy, another measurement',
    read: (m) => (m.blockSize === null ? undefined : one(typeof m.blockSize === 'number' ? fmtBytes(m.blockSize) : m.blockSize)),
  },
  {
    scope: 'disk',
    key: 'disk.transport',
    label: 'transport',
    acts: 'both',
    why: 'the path every read takes: virtio-blk, an emulated NVMe controller and a passed-through device differ by tens of µs',
    read: (d) => one(d.transport),
  },
  {
    scope: 'disk',
    key: 'disk.nvme',
    label: 'NVMe controller',
    acts: 'device',
    why: 'an emulated controller runs in the VMM (each doorbell an exit); a passed-through or offload one does not',
    read: (d) => one(d.nvme ? `${d.nvme.kind}${d.nvme.emulated ? ' (emulated)' : ''}` : 'not NVMe'),
  },
  {
    scope: 'machine',
    key: 'cpuidle.driver',
    label: 'cpuidle driver',
    acts: 'guest',
    why: 'haltpoll lets an idle vCPU poll before it halts, so the completion wakes the reader without a VM exit and a host wake-up',
    read: snap((s) => one(s.cpuidle.driver ?? 'none')),
  },
  {
    scope: 'machine',
    key: 'cpuidle.governor',
    label: 'cpuidle governor',
    acts: 'guest',
    why: 'the haltpoll governor sizes the poll window to the wake-ups it sees; menu and ladder halt at once in a guest',
    read: snap((s) => one(s.cpuidle.governor ?? 'none')),
  },
  {
    scope: 'machine',
    key: 'haltpoll',
    label: 'haltpoll',
    acts: 'guest',
    why: 'how long an idle vCPU polls before it halts (guest_halt_poll_ns 0: it never polls)',
    bothOnly: true,
    read: snap((s): Record<string, string> => {
      const p = s.cpuidle.haltpoll.parameters;
      if (!p) return {};
      return {
        guest_halt_poll_ns: show(p.guestHaltPollNs),
        guest_halt_poll_grow: show(p.guestHaltPollGrow),
        guest_halt_poll_grow_start: show(p.guestHaltPollGrowStart),
        guest_halt_poll_shrink: show(p.guestHaltPollShrink),
        guest_halt_poll_allow_shrink: show(p.guestHaltPollAllowShrink),
      };
    }),
  },
  {
    scope: 'machine',
    key: 'cmdline.idle',
    label: 'boot parameter',
    acts: 'guest',
    why: 'chooses the idle driver and how it polls (cpuidle_haltpoll.force, idle=, cpuidle.off, ...)',
    unset: 'not set',
    read: cmdline(['cpuidle_haltpoll.force', 'idle', 'cpuidle.off', 'cpuidle.governor', 'haltpoll.guest_halt_poll_ns', 'processor.max_cstate', 'intel_idle.max_cstate']),
  },
  {
    scope: 'machine',
    key: 'polled',
    label: 'reads completed by',
    acts: 'guest',
    why: 'a polled completion skips the interrupt and the wake-up of the reading thread',
    read: (m) => (m.engine ? one(m.engine.polled ? 'polling' : 'interrupt') : undefined),
  },
  {
    scope: 'disk',
    key: 'disk.pollQueues',
    label: 'poll_queues',
    acts: 'guest',
    why: "without poll queues no read can complete by polling (the driver's poll_queues, applied when the disk is probed)",
    read: (d) => one(d.queues.pollQueuesParam),
  },
  {
    scope: 'disk',
    key: 'disk.ioPoll',
    label: 'io_poll',
    acts: 'guest',
    why: 'whether the queue has poll queues now: io_uring IOPOLL polls only there',
    read: (d) => one(d.queues.ioPoll),
  },
  {
    scope: 'machine',
    key: 'cmdline.poll',
    label: 'boot parameter',
    acts: 'guest',
    why: 'gives the disks poll queues at boot',
    unset: 'not set',
    read: cmdline(['virtio_blk.poll_queues', 'nvme.poll_queues']),
  },
  {
    scope: 'machine',
    key: 'engine',
    label: 'engine',
    acts: 'guest',
    why: 'psync2 and io_uring enter the kernel differently; on current kernels only io_uring polls',
    read: (m) => (m.engine ? one(m.engine.name) : undefined),
  },
  {
    scope: 'machine',
    key: 'pmQos',
    label: 'PM QoS resume latency',
    acts: 'guest',
    why: 'a resume-latency limit keeps vCPUs out of idle states deeper than it (0: polling only)',
    read: snap((s) => {
      const limited = s.cpuidle.resumeLatency.filter((l) => l.limitUs !== null);
      return one(limited.length === 0 ? 'no constraint' : limited.map((l) => `cpu${l.cpu} ≤ ${l.limitUs} µs`).join(', '));
    }),
  },
  {
    scope: 'machine',
    key: 'cpuidle.states',
    label: 'idle states',
    acts: 'guest',
    why: 'which idle states a vCPU may enter, and so how long its wake-up takes',
    read: snap((s) => {
      const states = s.cpuidle.perCpu.find((c) => c.states.length > 0)?.states ?? [];
      return one(states.length === 0 ? 'none' : states.map((st) => `${st.name ?? `state${st.index}`}${st.disabled ? ' (disabled)' : ''}`).join(', '));
    }),
  },
  {
    scope: 'disk',
    key: 'disk.hwQueues',
    label: 'hardware queues',
    acts: 'both',
    why: 'one queue per vCPU keeps the completion on the submitting vCPU; fewer share a queue and its interrupt',
    read: (d) => one(d.queues.hwQueues),
  },
  {
    scope: 'disk',
    key: 'disk.irqCpus',
    label: 'interrupt CPUs',
    acts: 'guest',
    why: "the vCPU each queue's completion interrupt lands on: another vCPU than the reader's adds a cross-CPU wake-up",
    read: (d) => one(d.irqs.length === 0 ? 'none' : d.irqs.map((q) => `q${q.queue ?? '?'}→${q.effectiveCpus ? formatCpuList(q.effectiveCpus) : '?'}`).join(' ')),
  },
  {
    scope: 'disk',
    key: 'disk.virtio',
    label: 'virtio feature',
    acts: 'both',
    why: 'packed ring, event index and multiqueue set how many exits and notifications a request costs',
    unset: 'no',
    read: (d) => (d.virtio ? Object.fromEntries(d.virtio.features.map((f) => [f, 'yes'])) : undefined),
  },
  {
    scope: 'machine',
    key: 'kernel.release',
    label: 'kernel',
    acts: 'both',
    why: 'another kernel: another block layer, another virtio or NVMe driver, other idle code',
    read: (m) => (m.kernelRelease === null ? undefined : one(m.kernelRelease)),
  },
  {
    scope: 'machine',
    key: 'kernel.preemption',
    label: 'kernel preemption',
    acts: 'guest',
    why: 'how soon the woken reader runs when the vCPU is busy',
    read: snap((s) => one(/PREEMPT_RT|PREEMPT_DYNAMIC|PREEMPT\b/.exec(s.kernel.build ?? '')?.[0] ?? (s.kernel.build === null ? 'unknown' : 'none'))),
  },
  {
    scope: 'machine',
    key: 'cmdline.cpu',
    label: 'boot parameter',
    acts: 'guest',
    why: "CPU isolation, the tick and mitigations change what runs beside a read and what each syscall's entry costs",
    unset: 'not set',
    read: cmdline(['isolcpus', 'nohz_full', 'nohz', 'rcu_nocbs', 'irqaffinity', 'mitigations', 'pti', 'nopti', 'spectre_v2', 'nospectre_v2', 'nosmt', 'preempt', 'threadirqs']),
  },
  {
    scope: 'machine',
    key: 'cpus.isolated',
    label: 'isolated CPUs / nohz_full CPUs',
    acts: 'guest',
    why: 'a reader on an isolated, tickless vCPU is not interrupted by other work',
    // A kernel without nohz_full (null) isolates no CPU either.
    read: snap((s) => one(`${cpus(s.cpus.isolated)} / ${cpus(s.cpus.nohzFull ?? [])}`)),
  },
  {
    scope: 'machine',
    key: 'cpus.online',
    label: 'vCPUs online',
    acts: 'both',
    why: "fewer vCPUs: the completion and the reader's wake-up share CPUs with everything else",
    read: snap((s) => one(s.cpus.online?.length ?? null)),
  },
  {
    scope: 'machine',
    key: 'cpus.numa',
    label: 'NUMA nodes',
    acts: 'device',
    why: "a device on another node than the reader's vCPU costs a cross-node hop",
    read: snap((s) => one(s.cpus.numaNodes.length)),
  },
  {
    scope: 'disk',
    key: 'disk.numa',
    label: 'NUMA node',
    acts: 'device',
    why: "a device on another node than the reader's vCPU costs a cross-node hop",
    read: (d) => one(d.numaNode),
  },
  {
    scope: 'machine',
    key: 'cpu.model',
    label: 'CPU model',
    acts: 'both',
    why: 'another host CPU: the guest moved to other hardware (a live migration, a resize)',
    read: snap((s) => one(s.machine.cpuModel)),
  },
  {
    scope: 'machine',
    key: 'clocksource',
    label: 'clocksource',
    acts: 'guest',
    why: 'an emulated clock (hpet, acpi_pm) makes every clock read a VM exit',
    read: snap((s) => one(s.hypervisor.signals.currentClocksource)),
  },
  {
    scope: 'machine',
    key: 'driverModules',
    label: 'module parameter',
    acts: 'both',
    why: 'queue depth and queue count of the storage drivers',
    bothOnly: true,
    // poll_queues is each disk's own row.
    read: snap((s) =>
      Object.fromEntries(
        Object.entries(s.driverModules).flatMap(([mod, params]) =>
          Object.entries(params)
            .filter(([p]) => p !== 'poll_queues')
            .map(([p, v]) => [`${mod}.${p}`, v]),
        ),
      ),
    ),
  },
  {
    scope: 'disk',
    key: 'disk.model',
    label: 'model',
    acts: 'device',
    why: 'another device behind the same transport: another backend',
    read: (d) => one(diskModel(d)),
  },
  {
    scope: 'disk',
    key: 'disk.scheduler',
    label: 'scheduler',
    acts: 'guest',
    why: 'an I/O scheduler adds work to every submit and completion; none is the cheapest at QD1',
    read: (d) => one(d.settings.scheduler ?? 'none'),
  },
  {
    scope: 'disk',
    key: 'disk.rqAffinity',
    label: 'rq_affinity',
    acts: 'guest',
    why: 'where a completion is finished: on the submitting CPU (an IPI) or where its interrupt landed',
    read: (d) => one(d.settings.rqAffinity),
  },
  {
    scope: 'machine',
    key: 'ioUring',
    label: 'io_uring_disabled',
    acts: 'guest',
    why: 'whether io_uring, and so a polled read, can be used at all',
    read: snap((s) => one(s.kernel.ioUringDisabled ?? 'absent (before 6.6)')),
  },
  {
    scope: 'machine',
    key: 'cpufreq',
    label: 'cpufreq',
    acts: 'guest',
    why: "the CPU frequency policy: a slower clock slows the guest's side of a read",
    read: snap((s) => one(s.cpuidle.cpufreq.length === 0 ? 'none' : [...new Set(s.cpuidle.cpufreq.map((p) => `${p.driver ?? '?'}/${p.governor ?? '?'}`))].join(', '))),
  },
  {
    scope: 'disk',
    key: 'disk.nomerges',
    label: 'nomerges',
    acts: 'guest',
    why: 'merge lookups on submit: a few hundred ns at most, nothing to merge at QD1',
    read: (d) => one(d.settings.nomerges),
  },
  {
    scope: 'disk',
    key: 'disk.wbt',
    label: 'wbt_lat_usec',
    acts: 'guest',
    why: 'writeback throttling: reads wait for it only while writes run',
    read: (d) => one(d.settings.wbtLatUsec),
  },
  {
    scope: 'disk',
    key: 'disk.nrRequests',
    label: 'nr_requests',
    acts: 'guest',
    why: 'the queue depth the block layer allows: QD1 never reaches it',
    read: (d) => one(d.settings.nrRequests),
  },
  {
    scope: 'disk',
    key: 'disk.addRandom',
    label: 'add_random',
    acts: 'guest',
    why: 'entropy gathered at each completion: well under a µs',
    read: (d) => one(d.settings.addRandom),
  },
  {
    scope: 'disk',
    key: 'disk.iostats',
    label: 'iostats',
    acts: 'guest',
    why: 'per-request accounting: tens of ns',
    read: (d) => one(d.settings.iostats),
  },
  {
    scope: 'disk',
    key: 'disk.rotational',
    label: 'rotational',
    acts: 'guest',
    why: 'only how the block layer treats the disk (scheduler defaults), not the read itself',
    read: (d) => one(d.settings.rotational),
  },
  {
    scope: 'disk',
    key: 'disk.readAhead',
    label: 'read_ahead_kb',
    acts: 'guest',
    why: 'read-ahead: O_DIRECT reads never use it',
    read: (d) => one(d.settings.readAheadKb),
  },
  {
    scope: 'disk',
    key: 'disk.limits',
    label: 'request limits',
    acts: 'guest',
    why: 'max_sectors_kb and block sizes bound large requests; a 4 KiB read fits any',
    read: (d) => ({
      max_sectors_kb: show(d.settings.maxSectorsKb),
      logical_block_size: show(d.settings.logicalBlockSize),
      physical_block_size: show(d.settings.physicalBlockSize),
    }),
  },
  {
    scope: 'disk',
    key: 'disk.writeCache',
    label: 'write cache',
    acts: 'device',
    why: 'the write cache mode: writes only',
    read: (d) => one(d.settings.writeCache),
  },
];

/** The rank of a disk that only one side has: after every setting (the other side has nothing to compare it with). */
export const DISK_PRESENCE = {
  key: 'disk.present',
  label: 'disk',
  acts: 'both' as ReadSide,
  why: 'a disk only one side has: compare the disks that serve the same data',
};

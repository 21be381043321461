import type { DiskInfo } from '../contracts/detect-disks.js';
import type { Snapshot } from '../contracts/detect-document.js';
import { allResolved, interpolate } from './field-path.js';
import type { RuleScope } from '../contracts/rule-types.js';

/**
 * The Snapshot's shape as data, so that a rule naming a field that does not exist is refused at
 * load. `Shape<T>` makes the compiler check these literals against the detect types: a field
 * added, renamed or removed in detect fails the build until it is mirrored here.
 */
type Leaf = 'string' | 'number' | 'boolean' | 'any';
type N<T> = NonNullable<T>;
export type Shape<T> = [N<T>] extends [readonly (infer U)[]]
  ? { $list: Shape<U> }
  : [N<T>] extends [object]
    ? string extends keyof N<T>
      ? { $map: Shape<N<T>[string & keyof N<T>]> }
      : { [K in keyof N<T>]-?: Shape<N<T>[K]> }
    : [N<T>] extends [string]
      ? 'string'
      : [N<T>] extends [number]
        ? 'number'
        : [N<T>] extends [boolean]
          ? 'boolean'
          : Leaf;

const numbers = { $list: 'number' } as const;
const strings = { $list: 'string' } as const;

const DISK_SHAPE: Shape<DiskInfo> = {
  name: 'string',
  dev: 'string',
  sysPath: 'string',
  transport: 'string',
  transportEvidence: 'string',
  driver: 'string',
  scsiHost: 'string',
  model: 'string',
  vendor: 'string',
  ids: { serial: 'string', wwid: 'string' },
  sizeBytes: 'number',
  readOnly: 'boolean',
  removable: 'boolean',
  pci: { address: 'string', vendorId: 'string', deviceId: 'string', subsystemVendorId: 'string', subsystemDeviceId: 'string', numaNode: 'number', localCpus: numbers },
  numaNode: 'number',
  nvme: { controller: 'string', kind: 'string', emulated: 'boolean', firmware: 'string', transport: 'string', multipathPaths: strings },
  virtio: { device: 'string', featureBits: numbers, features: strings, packedRing: 'boolean', multiqueue: 'boolean' },
  queues: {
    hwQueues: 'number',
    queues: { $list: { index: 'number', cpus: numbers } },
    ioPoll: 'boolean',
    ioPollDelay: 'number',
    pollQueuesParam: 'number',
    pollQueuesParamPath: 'string',
  },
  settings: {
    scheduler: 'string',
    availableSchedulers: strings,
    rotational: 'boolean',
    nrRequests: 'number',
    nomerges: 'number',
    rqAffinity: 'number',
    addRandom: 'boolean',
    iostats: 'boolean',
    wbtLatUsec: 'number',
    logicalBlockSize: 'number',
    physicalBlockSize: 'number',
    maxSectorsKb: 'number',
    readAheadKb: 'number',
    writeCache: 'string',
  },
  irqs: { $list: { irq: 'number', name: 'string', queue: 'number', effectiveCpus: numbers, affinityCpus: numbers, count: 'number' } },
  stack: {
    partitions: { $list: { name: 'string', dev: 'string', number: 'number', startSector: 'number', sizeBytes: 'number' } },
    slaves: strings,
    holders: strings,
    backingDisks: strings,
    dm: { name: 'string', uuidPrefix: 'string' },
    md: { level: 'string' },
  },
  rootFs: 'string',
  vanished: 'boolean',
};

const SNAPSHOT_SHAPE: Shape<Snapshot> = {
  schemaVersion: 'number',
  machine: { architecture: 'string', architectureSource: 'string', cpuVendor: 'string', cpuModel: 'string' },
  kernel: {
    release: 'string',
    version: { major: 'number', minor: 'number', patch: 'number' },
    build: 'string',
    cmdline: { raw: 'string', params: { $map: 'any' } },
    ioUringDisabled: 'number',
  },
  hypervisor: {
    kind: 'string',
    vendor: 'string',
    product: 'string',
    evidence: strings,
    signals: {
      cpuinfoHypervisorFlag: 'boolean',
      cpuModel: 'string',
      sysHypervisorType: 'string',
      dmiSysVendor: 'string',
      dmiProductName: 'string',
      dmiBiosVendor: 'string',
      currentClocksource: 'string',
      availableClocksources: strings,
      paravirtBuses: strings,
      cpuidleDriver: 'string',
    },
  },
  cpus: { online: numbers, possible: numbers, numaNodes: { $list: { node: 'number', cpus: numbers } }, isolated: numbers, nohzFull: numbers },
  cpuidle: {
    driver: 'string',
    governor: 'string',
    availableGovernors: strings,
    perCpu: {
      $list: {
        cpu: 'number',
        states: { $list: { index: 'number', name: 'string', desc: 'string', latencyUs: 'number', residencyUs: 'number', disabled: 'boolean', usage: 'number', timeUs: 'number' } },
      },
    },
    haltpoll: {
      driverActive: 'boolean',
      governorBuilt: 'boolean',
      governorActive: 'boolean',
      driverModule: 'string',
      driverModuleLoaded: 'boolean',
      driverModuleEvidence: 'string',
      forced: 'boolean',
      parameters: {
        guestHaltPollNs: 'number',
        guestHaltPollShrink: 'number',
        guestHaltPollGrow: 'number',
        guestHaltPollGrowStart: 'number',
        guestHaltPollAllowShrink: 'boolean',
      },
      polling: 'boolean',
      absence: 'string',
      explanation: 'string',
    },
    resumeLatency: { $list: { cpu: 'number', raw: 'string', limitUs: 'number' } },
    cpufreq: { $list: { policy: 'string', cpus: numbers, driver: 'string', governor: 'string' } },
  },
  steal: {
    window: 'string',
    windowText: 'string',
    maxPct: 'number',
    maxCpu: 'number',
    sinceBoot: { seconds: 'number', maxPct: 'number', maxCpu: 'number', perCpu: { $list: { cpu: 'number', pct: 'number' } } },
    run: { seconds: 'number', maxPct: 'number', maxCpu: 'number', perCpu: { $list: { cpu: 'number', pct: 'number' } }, reads: 'number', perReadUs: 'number' },
  },
  disks: { $list: DISK_SHAPE },
  rootFs: { device: 'string', disk: 'string', dev: 'string', fsType: 'string', source: 'string', from: 'string' },
  driverModules: { $map: { $map: 'string' } },
  unavailable: { $list: { path: 'string', reason: 'string', detail: 'string' } },
};

type AnyShape = string | { $list: AnyShape } | { $map: AnyShape } | { [k: string]: AnyShape };

/** Whether `path` names a field of the Snapshot (plus `disk` in per-disk rules). */
export function fieldExistsIn(scope: RuleScope, path: string): boolean {
  let node: AnyShape = scope === 'disk' ? { ...SNAPSHOT_SHAPE, disk: DISK_SHAPE } : SNAPSHOT_SHAPE;
  for (const part of path.split('.')) {
    if (typeof node === 'string') return false;
    if ('$list' in node) {
      if (part === 'length') node = 'number';
      else if (/^\d+$/.test(part)) node = node.$list as AnyShape;
      else return false;
    } else if ('$map' in node) {
      node = node.$map as AnyShape;
    } else {
      if (!Object.hasOwn(node, part)) return false;
      node = (node as Record<string, AnyShape>)[part]!;
    }
  }
  return path.length > 0;
}

/** Where a field's value is read from, for a finding's evidence (placeholders filled from the scope). */
const SOURCES: Array<[RegExp, string]> = [
  [/^kernel\.(release|version)/, '/proc/sys/kernel/osrelease'],
  [/^kernel\.cmdline/, '/proc/cmdline'],
  [/^kernel\.ioUringDisabled$/, '/proc/sys/kernel/io_uring_disabled'],
  [/^cpus\.online/, '/sys/devices/system/cpu/online'],
  [/^cpus\.numaNodes/, '/sys/devices/system/node'],
  [/^cpuidle\.driver$/, '/sys/devices/system/cpu/cpuidle/current_driver'],
  [/^cpuidle\.governor$/, '/sys/devices/system/cpu/cpuidle/current_governor'],
  [/^cpuidle\.haltpoll\.parameters\.guestHaltPollNs$/, '/sys/module/haltpoll/parameters/guest_halt_poll_ns'],
  [/^cpuidle\.haltpoll\.driverModule(Loaded)?$/, '/sys/module/cpuidle_haltpoll/initstate'],
  [/^cpuidle\.haltpoll\.forced$/, '/sys/module/cpuidle_haltpoll/parameters/force'],
  [/^cpuidle\.haltpoll\.(driverActive|absence)$/, '/sys/devices/system/cpu/cpuidle/current_driver'],
  [/^cpuidle\.haltpoll\.governorActive$/, '/sys/devices/system/cpu/cpuidle/current_governor'],
  [/^steal\./, '/proc/stat (steal ticks per CPU; a run: their difference over its reads)'],
  [/^hypervisor\./, '/proc/cpuinfo, /sys/hypervisor, /sys/class/dmi/id, clocksource'],
  [/^disk\.settings\.scheduler$|^disk\.settings\.availableSchedulers$/, '/sys/block/{disk.name}/queue/scheduler'],
  [/^disk\.settings\.rotational$/, '/sys/block/{disk.name}/queue/rotational'],
  [/^disk\.settings\.addRandom$/, '/sys/block/{disk.name}/queue/add_random'],
  [/^disk\.settings\.iostats$/, '/sys/block/{disk.name}/queue/iostats'],
  [/^disk\.settings\.nomerges$/, '/sys/block/{disk.name}/queue/nomerges'],
  [/^disk\.settings\.rqAffinity$/, '/sys/block/{disk.name}/queue/rq_affinity'],
  [/^disk\.queues\.ioPoll$/, '/sys/block/{disk.name}/queue/io_poll'],
  [/^disk\.queues\.hwQueues$/, '/sys/block/{disk.name}/mq'],
  [/^disk\.queues\.pollQueuesParam$/, '{disk.queues.pollQueuesParamPath}'],
  [/^disk\.virtio\./, '/sys/bus/virtio/devices/{disk.virtio.device}/features'],
  [/^disk\.nvme\./, '/sys/block/{disk.name}/device (model, PCI vendor:device)'],
  [/^disk\.irqs/, '/proc/interrupts, /proc/irq/N/effective_affinity_list'],
  [/^disk\.numaNode$/, '/sys/block/{disk.name}/device/numa_node'],
  [/^disk\.transport$/, '/sys/block/{disk.name} (device chain)'],
];

export function sourceOf(field: string, scope: unknown): string | undefined {
  const hit = SOURCES.find(([re]) => re.test(field));
  return hit && allResolved(hit[1], scope) ? interpolate(hit[1], scope) : undefined;
}

import { parseCpuList } from './cpu-list.js';
import type { SysReader } from './reader.js';

export interface HardwareQueue {
  /** N of mq/N. */
  index: number;
  /** CPUs whose submissions go to this queue (mq/N/cpu_list). */
  cpus: number[] | null;
}

export interface DiskQueues {
  /** Number of mq/N directories (all hardware queues, default + read + poll); null for bio-based devices without mq/. */
  hwQueues: number | null;
  queues: HardwareQueue[];
  /** queue/io_poll: the queue has poll queues (read-only since 5.16). */
  ioPoll: boolean | null;
  /** queue/io_poll_delay: -1 classic polling, 0 hybrid. */
  ioPollDelay: number | null;
  /** The driver's poll_queues module parameter now (virtio_blk, nvme); applies when the device is probed. */
  pollQueuesParam: number | null;
  /** The module parameter read, e.g. "/sys/module/nvme/parameters/poll_queues"; null when the driver has none. */
  pollQueuesParamPath: string | null;
}

/** The block layer's per-queue settings (queue/*). */
export interface QueueSettings {
  /** Active scheduler, from "none [mq-deadline] kyber" → "mq-deadline". */
  scheduler: string | null;
  availableSchedulers: string[] | null;
  rotational: boolean | null;
  nrRequests: number | null;
  nomerges: number | null;
  rqAffinity: number | null;
  addRandom: boolean | null;
  iostats: boolean | null;
  /** queue/wbt_lat_usec: writeback throttling target (0 = off); null when absent. */
  wbtLatUsec: number | null;
  logicalBlockSize: number | null;
  physicalBlockSize: number | null;
  maxSectorsKb: number | null;
  readAheadKb: number | null;
  /** "write back" or "write through". */
  writeCache: string | null;
}

/** Module names whose poll_queues parameter gives a transport its poll queues. */
const POLL_QUEUE_MODULES: Record<string, string> = { 'virtio-blk': 'virtio_blk', nvme: 'nvme' };

export function detectQueues(r: SysReader, transport: string, queueDir: string | null, blockDir: string): DiskQueues {
  const mqDir = `${queueDir ?? blockDir}/mq`;
  const hasMq = r.root.isDir(mqDir);
  const queues: HardwareQueue[] = hasMq
    ? r
        .list(mqDir)
        .filter((e) => /^\d+$/.test(e))
        .map((e) => ({ index: Number(e), cpus: r.parse(`${mqDir}/${e}/cpu_list`, false, parseCpuList) }))
        .sort((a, b) => a.index - b.index)
    : [];
  const module = POLL_QUEUE_MODULES[transport];
  const paramPath = module ? `/sys/module/${module}/parameters/poll_queues` : null;
  return {
    hwQueues: hasMq ? queues.length : null,
    queues,
    ioPoll: r.bool(`${blockDir}/queue/io_poll`),
    ioPollDelay: r.int(`${blockDir}/queue/io_poll_delay`, true),
    pollQueuesParam: paramPath === null ? null : r.int(paramPath, true),
    pollQueuesParamPath: paramPath !== null && r.root.exists(paramPath) ? paramPath : null,
  };
}

export function detectQueueSettings(r: SysReader, blockDir: string): QueueSettings {
  const q = `${blockDir}/queue`;
  const sched = r.optional(`${q}/scheduler`);
  const parsed = sched === null ? null : parseScheduler(sched);
  return {
    scheduler: parsed?.active ?? null,
    availableSchedulers: parsed?.available ?? null,
    rotational: r.bool(`${q}/rotational`),
    nrRequests: r.int(`${q}/nr_requests`, true),
    nomerges: r.int(`${q}/nomerges`),
    rqAffinity: r.int(`${q}/rq_affinity`, true),
    addRandom: r.bool(`${q}/add_random`),
    iostats: r.bool(`${q}/iostats`),
    wbtLatUsec: r.int(`${q}/wbt_lat_usec`, true),
    logicalBlockSize: r.int(`${q}/logical_block_size`),
    physicalBlockSize: r.int(`${q}/physical_block_size`),
    maxSectorsKb: r.int(`${q}/max_sectors_kb`),
    readAheadKb: r.int(`${q}/read_ahead_kb`),
    writeCache: r.optional(`${q}/write_cache`),
  };
}

/** "none [mq-deadline] kyber" → active mq-deadline; "none" alone (bio-based, no choice) → active none. */
export function parseScheduler(text: string): { active: string | null; available: string[] } {
  const words = text.split(/\s+/).filter(Boolean);
  const bracketed = words.find((w) => w.startsWith('[') && w.endsWith(']'));
  const available = words.map((w) => w.replace(/^\[|\]$/g, ''));
  const active = bracketed ? bracketed.slice(1, -1) : available.length === 1 ? available[0]! : null;
  return { active, available };
}

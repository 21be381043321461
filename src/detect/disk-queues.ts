import { parseCpuList } from './cpu-list.js';
import type { SysReader } from './reader.js';
import type { HardwareQueue, DiskQueues, QueueSettings } from '../contracts/detect-disk-queues.js';

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

// A disk's request queues, their settings and interrupts, as the detect document holds them.

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

export interface HardwareQueue {
  /** N of mq/N. */
  index: number;
  /** CPUs whose submissions go to this queue (mq/N/cpu_list). */
  cpus: number[] | null;
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

export interface QueueIrq {
  irq: number;
  /** Handler name, e.g. "virtio1-req.0", "nvme0q1". */
  name: string;
  /** Hardware queue index the name refers to (virtio req.N → N, nvmeXqN → N-1); null when not derivable. */
  queue: number | null;
  /** CPUs the interrupt is delivered to now (/proc/irq/N/effective_affinity_list, else smp_affinity_list). */
  effectiveCpus: number[] | null;
  /** CPUs allowed by smp_affinity_list. */
  affinityCpus: number[] | null;
  /** Interrupts so far, summed over CPUs (volatile). */
  count: number;
}

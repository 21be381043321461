import { parseCpuList } from './cpu-list.js';
import type { InterruptTable } from './interrupts.js';
import type { SysReader } from './reader.js';
import type { QueueIrq } from '../contracts/detect-disk-queues.js';

/** Which handler names belong to a disk's queues. */
export interface IrqNaming {
  virtioDevice: string | null;
  nvmeController: string | null;
}

/** Queue number of a handler name, or undefined when the name is not one of this disk's queue IRQs. */
export function queueOfHandler(name: string, n: IrqNaming): number | null | undefined {
  if (n.virtioDevice !== null && name.startsWith(`${n.virtioDevice}-`)) {
    const vq = name.slice(n.virtioDevice.length + 1);
    if (vq === 'config') return undefined;
    // virtio-blk "req.N"; virtio-scsi "request.N"; one shared vector is "virtqueues".
    const m = /^(?:req|request)\.(\d+)$/.exec(vq);
    if (m) return Number(m[1]);
    return vq === 'virtqueues' ? null : undefined;
  }
  if (n.nvmeController !== null) {
    const m = new RegExp(`^${escapeRegExp(n.nvmeController)}q(\\d+)$`).exec(name);
    // q0 is the admin queue: not an I/O path.
    if (m) return m[1] === '0' ? undefined : Number(m[1]) - 1;
  }
  // xen-blkfront names every ring's event channel "blkif", whatever the disk: not attributable.
  return undefined;
}

export function detectQueueIrqs(r: SysReader, table: InterruptTable | null, naming: IrqNaming): QueueIrq[] {
  if (table === null) return [];
  const irqs: QueueIrq[] = [];
  for (const line of table.lines) {
    for (const name of line.names) {
      const queue = queueOfHandler(name, naming);
      if (queue === undefined) continue;
      const affinity = r.parse(`/proc/irq/${line.irq}/smp_affinity_list`, true, parseCpuList);
      const effective = r.parse(`/proc/irq/${line.irq}/effective_affinity_list`, true, parseCpuList) ?? affinity;
      irqs.push({ irq: line.irq, name, queue, effectiveCpus: effective, affinityCpus: affinity, count: line.counts.reduce((a, b) => a + b, 0) });
    }
  }
  return irqs;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

import { parseCpuList } from '../detect/cpu-list.js';
import type { Root } from '../host/root.js';
import type { RuntimeKnob } from './knob.js';

/**
 * Per-CPU resume-latency limit, `power/pm_qos_resume_latency_us`. Its sysfs encoding is inverted
 * from what one expects: writing "0" means no constraint and "n/a" means 0 µs (only polling),
 * so a limit of 0 µs is written as "n/a". It persists without a process holding a file open.
 */
function cpus(root: Root): number[] {
  return parseCpuList(root.attr('/sys/devices/system/cpu/online') ?? '') ?? [];
}

const path = (cpu: number) => `/sys/devices/system/cpu/cpu${cpu}/power/pm_qos_resume_latency_us`;

export function encodeResumeLatency(us: number | string): string {
  return Number(us) === 0 ? 'n/a' : String(us);
}

export const pmQosKnob: RuntimeKnob = {
  paths: (root) => cpus(root).map(path),
  read: (root) => cpus(root).map((c) => root.attr(path(c))),
  writes: (root, a, value = a.value) => cpus(root).map((c) => ({ op: 'attr' as const, path: path(c), value: encodeResumeLatency(value) })),
  verify(root, a, value = a.value) {
    return this.read(root, a).every((v) => v === encodeResumeLatency(value));
  },
};

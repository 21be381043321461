import { parseCpuList } from '../../detect/cpu-list.js';
import type { Root } from '../../host/root.js';
import type { KnobKind } from '../kind.js';
import type { RuntimeKnob } from '../knob.js';

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

const pmQosKnob: RuntimeKnob = {
  paths: (root) => cpus(root).map(path),
  read: (root) => cpus(root).map((c) => root.attr(path(c))),
  writes: (root, a, value = a.value) => cpus(root).map((c) => ({ op: 'attr' as const, path: path(c), value: encodeResumeLatency(value) })),
  verify(root, a, value = a.value) {
    return this.read(root, a).every((v) => v === encodeResumeLatency(value));
  },
};

/** Every online CPU's resume-latency limit; nothing on disk (the nvprobe-tune service sets it at boot). */
export const pmQosKind: KnobKind = {
  name: 'pm-qos',
  keys: ['kind', 'value', 'grid'],
  scope: 'machine',
  takesEffect: 'runtime',
  check(a, at) {
    const value = a.value;
    if (typeof value === 'number' && value >= 0 && value <= 2_000_000) return [];
    return [{ at: `${at}.value`, message: 'must be a resume latency in µs, 0..2000000' }];
  },
  resolve: () => ({ target: 'cpu*/power/pm_qos_resume_latency_us' }),
  knob: pmQosKnob,
  route: () => ({ route: 'runtime-only', why: 'runtime only, nothing written on disk: re-applied at boot by the nvprobe-tune service' }),
};

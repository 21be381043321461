import { readField, requireField, type EventField } from './event-format.js';
import type { EnabledEvent, EventSpec } from './instance.js';

/** The syscall each engine issues once per read. */
export type ReadSyscall = 'preadv2' | 'io_uring_enter';

/** Whose reads, on which device. */
export interface ReadTraceSpec {
  syscall: ReadSyscall;
  /** common_pid of the issuing thread, or its comm (fio's reads: `comm == "fio"`). */
  who: { pid: number } | { comm: string };
  /**
   * Kernel dev_t values (MKDEV: major << 20 | minor) the block events may carry: the whole disk
   * (request events) and the partition (bio events). Empty: the target has no block device
   * (tmpfs, overlay without one): only the syscall is timed.
   */
  devs: number[];
}

export type IoEventKind = 'enter' | 'exit' | 'bioQueue' | 'rqIssue' | 'rqComplete' | 'bioComplete' | 'idle';

export interface IoEvent {
  kind: IoEventKind;
  tsNs: number;
  cpu: number;
  pid: number;
  /** bio/rq events: first sector; idle: state (0xffffffff = leaving idle); exit: return value. */
  value: number;
}

/** Kernel dev_t of a major:minor (as block tracepoints record it; not the userspace encoding). */
export function kernelDevt(major: number, minor: number): number {
  return major * 2 ** 20 + minor;
}

/** cpu_idle's state when a CPU leaves idle (PWR_EVENT_EXIT, (u32)-1). */
export const IDLE_EXIT = 0xffffffff;

export function ioEventSpecs(spec: ReadTraceSpec): Array<EventSpec & { kind: IoEventKind }> {
  const who = 'pid' in spec.who ? `common_pid == ${spec.who.pid}` : `comm == "${spec.who.comm.replace(/["\\]/g, '')}"`;
  const out: Array<EventSpec & { kind: IoEventKind }> = [
    { kind: 'enter', system: 'syscalls', name: `sys_enter_${spec.syscall}`, filter: who },
    { kind: 'exit', system: 'syscalls', name: `sys_exit_${spec.syscall}`, filter: who },
  ];
  if (spec.devs.length > 0) {
    const dev = `(${spec.devs.map((d) => `dev == ${d}`).join(' || ')})`;
    // bio_queue is not filtered by thread: io_uring may hand a read to an io-wq worker.
    out.push(
      { kind: 'bioQueue', system: 'block', name: 'block_bio_queue', filter: dev },
      { kind: 'rqIssue', system: 'block', name: 'block_rq_issue', filter: dev },
      { kind: 'rqComplete', system: 'block', name: 'block_rq_complete', filter: dev },
      { kind: 'bioComplete', system: 'block', name: 'block_bio_complete', filter: dev },
    );
  }
  out.push({ kind: 'idle', system: 'power', name: 'cpu_idle', optional: true });
  return out;
}

/** Turns raw records of the enabled events into IoEvents (unknown ids are skipped). */
export class IoEventDecoder {
  private readonly byId = new Map<number, { kind: IoEventKind; value: EventField | null }>();
  private readonly pidField: EventField;

  constructor(enabled: Array<EnabledEvent & { kind?: IoEventKind }>, kinds: Map<string, IoEventKind>) {
    let pid: EventField | undefined;
    for (const e of enabled) {
      const kind = kinds.get(`${e.system}:${e.name}`);
      if (!kind) continue;
      pid ??= requireField(e.format, 'common_pid', [4]);
      const value = kind === 'enter' ? null : kind === 'exit' ? requireField(e.format, 'ret', [4, 8]) : kind === 'idle' ? requireField(e.format, 'state', [4]) : requireField(e.format, 'sector', [8]);
      this.byId.set(e.format.id, { kind, value });
    }
    this.pidField = pid ?? { offset: 4, size: 4, signed: true };
  }

  decode(cpu: number, tsNs: number, view: DataView, at: number, len: number): IoEvent | null {
    if (len < 8) return null;
    const e = this.byId.get(view.getUint16(at, true));
    if (!e) return null;
    return { kind: e.kind, tsNs, cpu, pid: readField(view, at, this.pidField), value: e.value ? readField(view, at, e.value) : 0 };
  }
}

import * as fs from 'node:fs';
import { registerCleanup, type CleanupHandle } from '../host/cleanup.js';
import { pidRunning } from '../host/state-dir.js';
import { findTracefs, kernelHasTracefs, mountTracefs, NVPROBE_MOUNT_SOURCE, TracefsDir, unmountTracefs, type RawPipe } from '../host/tracefs.js';
import { parseEventFormat, type EventFormat } from './event-format.js';
import { decodePage, parsePageLayout, type PageLayout } from './ring-page.js';
import { TRACE_CLOCK } from '../contracts/probe-kernel-clock.js';

const INSTANCE_PREFIX = 'nvprobe-';
const INSTANCE_RE = /^nvprobe-(\d+)$/;

/** Why tracing cannot run here, in one line for the user. */
export class TraceUnavailable extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'TraceUnavailable';
  }
}

export interface EventSpec {
  system: string;
  name: string;
  /** ftrace filter expression, or none. */
  filter?: string;
  /** Without it tracing still works (with less detail); a missing required event makes tracing unavailable. */
  optional?: boolean;
}

export interface EnabledEvent extends EventSpec {
  format: EventFormat;
}

/**
 * Proof that an instance is nvprobe's: a marker nvprobe writes in a root-only directory when it
 * creates the instance and removes with it. A `nvprobe-<N>` instance without one was made by
 * someone else, whatever N is, and is never removed.
 */
export const MARKER_DIR = '/run/nvprobe/trace-instances';

function writeMarker(name: string): void {
  try {
    fs.mkdirSync(MARKER_DIR, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(MARKER_DIR);
    if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) return; // not a place that proves anything
    const file = `${MARKER_DIR}/${name}`;
    fs.rmSync(file, { force: true }); // a marker of an earlier process with this pid, its instance gone
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    fs.closeSync(fd);
  } catch {
    // Without a marker a leftover of this run is left for the user to remove; tracing still works.
  }
}

function hasMarker(name: string): boolean {
  return fs.lstatSync(`${MARKER_DIR}/${name}`, { throwIfNoEntry: false })?.isFile() === true;
}

function removeMarker(name: string): void {
  fs.rmSync(`${MARKER_DIR}/${name}`, { force: true });
}

/** Instances `nvprobe-<pid>` nvprobe made (its marker says so) whose process is gone (a kill -9): removed, names returned. */
export function removeDeadInstances(top: TracefsDir, alive: (pid: number) => boolean = pidRunning): string[] {
  const removed: string[] = [];
  for (const name of top.list('instances')) {
    const m = INSTANCE_RE.exec(name);
    if (!m || alive(Number(m[1])) || !hasMarker(name)) continue;
    try {
      top.removeInstance(name);
      removeMarker(name);
      removed.push(name);
    } catch {
      // busy (a reader still has it open): leave it for the next start
    }
  }
  return removed;
}

export interface InstanceOptions {
  events: EventSpec[];
  /** Per-CPU ring buffer size. */
  bufferKb?: number;
  /** Name suffix; the pid of this process unless a test needs another. */
  pid?: number;
}

/**
 * A private ftrace instance `instances/nvprobe-<pid>`: its own buffers, clock and event
 * switches, so that a user's own tracing (the top-level buffer, other instances) is untouched.
 * tracefs is mounted if needed and unmounted afterwards when nvprobe mounted it and no other
 * instance is left. Removal runs on close, on exit, on SIGINT/SIGTERM/SIGHUP; a kill -9
 * leftover is removed by the next start.
 */
export class TraceInstance {
  readonly name: string;
  readonly events: EnabledEvent[];
  readonly missingOptional: string[];
  readonly removedLeftovers: string[];
  readonly mountedByUs: boolean;
  readonly cpus: number[];
  private readonly top: TracefsDir;
  private readonly dir: TracefsDir;
  private readonly layout: PageLayout;
  private readonly cleanup: CleanupHandle;
  private pipes: RawPipe[] = [];
  private readonly page: Buffer;
  private readonly view: DataView;
  private readonly on = new Set<EnabledEvent>();
  private closed = false;
  /** Pages whose header said events were lost before them. */
  missedPages = 0;

  private constructor(top: TracefsDir, dir: TracefsDir, name: string, events: EnabledEvent[], missingOptional: string[], removed: string[], mountedByUs: boolean) {
    this.top = top;
    this.dir = dir;
    this.name = name;
    this.events = events;
    this.missingOptional = missingOptional;
    this.removedLeftovers = removed;
    this.mountedByUs = mountedByUs;
    this.layout = parsePageLayout(top.read('events/header_page'));
    this.cpus = dir
      .list('per_cpu')
      .map((c) => /^cpu(\d+)$/.exec(c)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    this.page = Buffer.alloc(pageSize(dir, this.layout));
    this.view = new DataView(this.page.buffer, this.page.byteOffset, this.page.length);
    this.cleanup = registerCleanup(() => this.teardown());
  }

  static create(opts: InstanceOptions): TraceInstance {
    if (typeof process.geteuid === 'function' && process.geteuid() !== 0) throw new TraceUnavailable('kernel tracing needs root');
    let mount = findTracefs();
    let mountedByUs = false;
    if (!mount) {
      if (!kernelHasTracefs()) throw new TraceUnavailable('this kernel has no tracefs (CONFIG_TRACING off)');
      try {
        mount = mountTracefs();
        mountedByUs = true;
      } catch (err) {
        throw new TraceUnavailable(`tracefs is not mounted and mounting it failed: ${(err as Error).message}`);
      }
    }
    const top = new TracefsDir(mount.dir);
    // A mount nvprobe made in an earlier run that was killed is nvprobe's to unmount, too.
    const oursToUnmount = mountedByUs || mount.source === NVPROBE_MOUNT_SOURCE;
    const unmountIfOurs = () => {
      if (oursToUnmount && top.list('instances').length === 0) unmountTracefs(top.dir);
    };
    let removed: string[];
    let dir: TracefsDir;
    const name = `${INSTANCE_PREFIX}${opts.pid ?? process.pid}`;
    try {
      if (!top.exists('instances')) throw new TraceUnavailable(`${top.dir} has no instances/ directory (kernel older than 3.19)`);
      removed = removeDeadInstances(top);
      // The marker first: a kill -9 between the two must not leave an instance without its proof.
      writeMarker(name);
      try {
        dir = top.makeInstance(name);
      } catch (err) {
        removeMarker(name);
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw new TraceUnavailable(`the trace instance ${name} already exists and is in use`);
        if (code === 'EACCES' || code === 'EPERM') throw new TraceUnavailable(`creating a trace instance was refused (${code}): tracefs is locked down (kernel lockdown or a security module)`);
        throw new TraceUnavailable(`creating the trace instance ${name} failed: ${code ?? (err as Error).message}`);
      }
    } catch (err) {
      unmountIfOurs();
      throw err instanceof TraceUnavailable ? err : new TraceUnavailable(`tracefs at ${top.dir} is unusable: ${(err as Error).message}`);
    }
    const events: EnabledEvent[] = [];
    const missing: string[] = [];
    try {
      for (const e of opts.events) {
        const rel = `events/${e.system}/${e.name}`;
        if (!dir.exists(`${rel}/enable`)) {
          if (e.optional) {
            missing.push(`${e.system}:${e.name}`);
            continue;
          }
          throw new TraceUnavailable(
            e.system === 'syscalls' ? `the kernel has no ${e.system}:${e.name} tracepoint (CONFIG_FTRACE_SYSCALLS off?)` : `the kernel has no ${e.system}:${e.name} tracepoint`,
          );
        }
        const format = parseEventFormat(e.system, e.name, dir.read(`${rel}/format`));
        dir.write(`${rel}/filter`, e.filter ?? '0');
        events.push({ ...e, format });
      }
      dir.write('trace_clock', TRACE_CLOCK);
      if (opts.bufferKb) dir.write('buffer_size_kb', String(opts.bufferKb));
      dir.write('tracing_on', '1');
    } catch (err) {
      try {
        top.removeInstance(name);
        removeMarker(name);
      } catch {
        // reported below
      }
      unmountIfOurs();
      if (err instanceof TraceUnavailable) throw err;
      throw new TraceUnavailable(`setting up the trace instance failed: ${(err as Error).message}`);
    }
    const inst = new TraceInstance(top, dir, name, events, missing, removed, oursToUnmount);
    return inst;
  }

  /** Switch every event of the instance on or off (the tracepoints themselves, not just recording). */
  setEnabled(on: boolean): void {
    this.enableOnly(() => on);
  }

  /** Switch on exactly the events `want` accepts, the others off (off ones first, in reverse order). */
  enableOnly(want: (e: EnabledEvent) => boolean): void {
    for (const e of [...this.events].reverse()) if (this.on.has(e) && !want(e)) this.switchEvent(e, false);
    for (const e of this.events) if (!this.on.has(e) && want(e)) this.switchEvent(e, true);
  }

  private switchEvent(e: EnabledEvent, on: boolean): void {
    this.dir.write(`events/${e.system}/${e.name}/enable`, on ? '1' : '0');
    if (on) this.on.add(e);
    else this.on.delete(e);
  }

  /**
   * Read every buffered page of every CPU (non-blocking) and hand each event to `onEvent`
   * with its CPU, timestamp (ns, trace clock) and record position in `view`.
   */
  drain(onEvent: (cpu: number, tsNs: number, view: DataView, at: number, len: number) => void): number {
    if (this.pipes.length === 0) this.pipes = this.cpus.map((c) => this.dir.openRawPipe(c));
    let events = 0;
    for (let i = 0; i < this.cpus.length; i++) {
      const cpu = this.cpus[i]!;
      const pipe = this.pipes[i]!;
      for (;;) {
        const n = pipe.readPage(this.page);
        if (n <= 0) break;
        const r = decodePage(this.view, n, this.layout, (ts, at, len) => onEvent(cpu, ts, this.view, at, len));
        events += r.events;
        if (r.missedBefore) this.missedPages++;
      }
    }
    return events;
  }

  /** Events the ring buffers lost (overwritten or dropped), summed over CPUs. */
  lostEvents(): number {
    let lost = 0;
    for (const cpu of this.cpus) {
      const stats = this.dir.read(`per_cpu/cpu${cpu}/stats`);
      for (const key of ['overrun', 'dropped events']) {
        const m = new RegExp(`^${key}:\\s*(\\d+)`, 'm').exec(stats);
        if (m) lost += Number(m[1]);
      }
    }
    return lost;
  }

  /** Disable, close, remove the instance, unmount tracefs if nvprobe mounted it and nothing else uses it. */
  close(): void {
    this.cleanup.run();
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.setEnabled(false);
    } catch {
      // removal below disables them anyway
    }
    for (const p of this.pipes) p.close();
    this.pipes = [];
    try {
      this.top.removeInstance(this.name);
    } catch (err) {
      // Removed already (the next nvprobe took it for a killed run's leftover): nothing to do.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    removeMarker(this.name);
    if (this.mountedByUs && this.top.list('instances').length === 0) unmountTracefs(this.top.dir);
  }
}

/** Bytes of one sub-buffer: a page unless buffer_subbuf_size_kb (6.8+) says otherwise; reads take whole ones. */
function pageSize(dir: TracefsDir, layout: PageLayout): number {
  const kb = dir.exists('buffer_subbuf_size_kb') ? Number(dir.read('buffer_subbuf_size_kb').trim()) : NaN;
  return Number.isFinite(kb) && kb > 0 ? kb * 1024 : layout.dataOffset + layout.dataSize;
}

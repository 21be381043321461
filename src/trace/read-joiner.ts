import { IDLE_EXIT, type IoEvent } from './io-events.js';

/** How a read's device time was bracketed: request issue → complete, bio queue → complete, or not at all. */
export const SOURCE_NONE = 0;
export const SOURCE_REQUEST = 1;
export const SOURCE_BIO = 2;

/** Per-read kernel timestamps, one column each (ns, trace clock; NaN where an event is missing). */
export class ReadColumns {
  n = 0;
  enterNs = new Float64Array(1024);
  exitNs = new Float64Array(1024);
  issueNs = new Float64Array(1024);
  completeNs = new Float64Array(1024);
  /**
   * 1 when the completing CPU was idle: the completion ran in an interrupt that arrived while
   * the CPU ran its idle task (common_pid 0: halted, or polling in the idle loop); 0 busy; -1 none.
   */
  completeIdle = new Int8Array(1024);
  /** The CPU that returned from the syscall left idle between the completion and the return (power:cpu_idle); -1 unknown. */
  wokeIdle = new Int8Array(1024);
  migrated = new Uint8Array(1024);
  source = new Uint8Array(1024);
  /** The CPU the read entered the syscall on (where the reader waited), and the CPU its completion ran on (-1 none). */
  enterCpu = new Int16Array(1024);
  completeCpu = new Int16Array(1024);

  push(r: ReadRow): void {
    if (this.n === this.enterNs.length) this.grow();
    const i = this.n++;
    this.enterNs[i] = r.enter;
    this.exitNs[i] = r.exit;
    this.issueNs[i] = r.issue;
    this.completeNs[i] = r.complete;
    this.completeIdle[i] = r.completeIdle;
    this.wokeIdle[i] = r.wokeIdle;
    this.migrated[i] = r.migrated ? 1 : 0;
    this.source[i] = r.source;
    this.enterCpu[i] = r.enterCpu;
    this.completeCpu[i] = r.completeCpu;
  }

  row(i: number): ReadRow {
    return {
      enter: this.enterNs[i]!,
      exit: this.exitNs[i]!,
      issue: this.issueNs[i]!,
      complete: this.completeNs[i]!,
      completeIdle: this.completeIdle[i]!,
      wokeIdle: this.wokeIdle[i]!,
      migrated: this.migrated[i] === 1,
      source: this.source[i]!,
      enterCpu: this.enterCpu[i]!,
      completeCpu: this.completeCpu[i]!,
    };
  }

  private grow(): void {
    const g = <T extends Float64Array | Int8Array | Uint8Array | Int16Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(a.length * 2);
      b.set(a);
      return b;
    };
    this.enterNs = g(this.enterNs);
    this.exitNs = g(this.exitNs);
    this.issueNs = g(this.issueNs);
    this.completeNs = g(this.completeNs);
    this.completeIdle = g(this.completeIdle);
    this.wokeIdle = g(this.wokeIdle);
    this.migrated = g(this.migrated);
    this.source = g(this.source);
    this.enterCpu = g(this.enterCpu);
    this.completeCpu = g(this.completeCpu);
  }
}

/** One read's row of ReadColumns. */
export interface ReadRow {
  enter: number;
  exit: number;
  issue: number;
  complete: number;
  completeIdle: number;
  wokeIdle: number;
  migrated: boolean;
  source: number;
  enterCpu: number;
  completeCpu: number;
}

interface BioState {
  sector: number;
  queueNs: number;
  own: boolean;
  rqIssueNs: number;
  rqCompleteNs: number;
  rqCompleteIdle: number;
  rqCompleteCpu: number;
  bioCompleteNs: number;
  bioCompleteIdle: number;
  bioCompleteCpu: number;
}

interface OpenRead {
  enterNs: number;
  cpu: number;
  pid: number;
  bios: BioState[];
}

const MAX_BIOS = 8;

/**
 * Joins the events of queue-depth-1 reads, one read at a time per issuing thread: syscall
 * entry, the read's bio (queued by this thread or, for io_uring, by its worker), the request
 * issued for that sector and its completion, and the syscall's exit. Events must arrive in
 * timestamp order per CPU and, for one read, across CPUs (the probe drains between reads).
 */
export class ReadJoiner {
  readonly reads = new ReadColumns();
  /** Entries never followed by an exit (a lost exit event), exits without an entry. */
  unmatchedEnters = 0;
  unmatchedExits = 0;
  private readonly open = new Map<number, OpenRead>();
  private readonly idleTs = new Map<number, number>();
  private readonly idleState = new Map<number, number>();

  /** @param idleTraced whether power:cpu_idle is among the events (else idle answers are unknown). */
  constructor(private readonly idleTraced: boolean) {}

  push(e: IoEvent): void {
    switch (e.kind) {
      case 'idle':
        this.idleTs.set(e.cpu, e.tsNs);
        this.idleState.set(e.cpu, e.value);
        return;
      case 'enter': {
        if (this.open.has(e.pid)) this.unmatchedEnters++;
        this.open.set(e.pid, { enterNs: e.tsNs, cpu: e.cpu, pid: e.pid, bios: [] });
        return;
      }
      case 'bioQueue': {
        const r = this.open.get(e.pid) ?? this.soleOpen();
        if (r && r.bios.length < MAX_BIOS) {
          r.bios.push({
            sector: e.value,
            queueNs: e.tsNs,
            own: e.pid === r.pid,
            rqIssueNs: NaN,
            rqCompleteNs: NaN,
            rqCompleteIdle: -1,
            rqCompleteCpu: -1,
            bioCompleteNs: NaN,
            bioCompleteIdle: -1,
            bioCompleteCpu: -1,
          });
        }
        return;
      }
      case 'rqIssue': {
        const b = this.findBio(e.value, (x) => Number.isNaN(x.rqIssueNs));
        if (b) b.rqIssueNs = e.tsNs;
        return;
      }
      case 'rqComplete': {
        const b = this.findBio(e.value, (x) => !Number.isNaN(x.rqIssueNs) && Number.isNaN(x.rqCompleteNs));
        if (b) {
          b.rqCompleteNs = e.tsNs;
          b.rqCompleteIdle = e.pid === 0 ? 1 : 0;
          b.rqCompleteCpu = e.cpu;
        }
        return;
      }
      case 'bioComplete': {
        const b = this.findBio(e.value, (x) => Number.isNaN(x.bioCompleteNs));
        if (b) {
          b.bioCompleteNs = e.tsNs;
          b.bioCompleteIdle = e.pid === 0 ? 1 : 0;
          b.bioCompleteCpu = e.cpu;
        }
        return;
      }
      case 'exit': {
        const r = this.open.get(e.pid);
        if (!r) {
          this.unmatchedExits++;
          return;
        }
        this.open.delete(e.pid);
        this.close(r, e);
        return;
      }
    }
  }

  private close(r: OpenRead, e: IoEvent): void {
    // A read split into several bios (or retried): issue of the first, completion of the last.
    const own = r.bios.filter((b) => b.own);
    const bios = own.length > 0 ? own : r.bios;
    const rq = bios.filter((b) => !Number.isNaN(b.rqIssueNs) && !Number.isNaN(b.rqCompleteNs));
    const bio = bios.filter((b) => !Number.isNaN(b.bioCompleteNs));
    let issue = NaN;
    let complete = NaN;
    let completeIdle = -1;
    let completeCpu = -1;
    let source = SOURCE_NONE;
    if (rq.length > 0) {
      issue = Math.min(...rq.map((b) => b.rqIssueNs));
      const last = rq.reduce((a, b) => (b.rqCompleteNs > a.rqCompleteNs ? b : a));
      complete = last.rqCompleteNs;
      completeIdle = last.rqCompleteIdle;
      completeCpu = last.rqCompleteCpu;
      source = SOURCE_REQUEST;
    } else if (bio.length > 0) {
      issue = Math.min(...bio.map((b) => b.queueNs));
      const last = bio.reduce((a, b) => (b.bioCompleteNs > a.bioCompleteNs ? b : a));
      complete = last.bioCompleteNs;
      completeIdle = last.bioCompleteIdle;
      completeCpu = last.bioCompleteCpu;
      source = SOURCE_BIO;
    }
    const lastIdle = this.idleTs.get(e.cpu);
    const woke = Number.isNaN(complete) || !this.idleTraced ? -1 : lastIdle !== undefined && this.idleState.get(e.cpu) === IDLE_EXIT && lastIdle > complete ? 1 : 0;
    this.reads.push({ enter: r.enterNs, exit: e.tsNs, issue, complete, completeIdle, wokeIdle: woke, migrated: e.cpu !== r.cpu, source, enterCpu: r.cpu, completeCpu });
  }

  private soleOpen(): OpenRead | undefined {
    if (this.open.size !== 1) return undefined;
    return this.open.values().next().value;
  }

  private findBio(sector: number, ok: (b: BioState) => boolean): BioState | undefined {
    for (const r of this.open.values()) {
      for (const b of r.bios) if (b.sector === sector && ok(b)) return b;
    }
    return undefined;
  }

  /** Reads still open (entered, no exit yet). */
  get pending(): number {
    return this.open.size;
  }
}

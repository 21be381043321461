import type { EngineName } from '../contracts/probe-document.js';
/**
 * One I/O engine: issues a single read at QD1. Engines never time themselves — the measure
 * loop wraps `read` (and `noop` for calibration) with the clock, identically.
 */
export interface IoEngine {
  readonly name: EngineName;
  readonly blockSize: number;
  /** Whether the engine asks the kernel to poll for completion (HIPRI / IOPOLL). */
  readonly pollRequested: boolean;
  /** The buffer the last read filled (page aligned, `blockSize` bytes). */
  readonly data: Buffer;
  /** One read of `blockSize` bytes at a block-aligned `offset`; throws on error or short read. */
  read(offset: number): void;
  /** The same FFI call shape as `read`, but entering neither the kernel nor the device. */
  noop(): void;
  /** The same syscall with nothing to transfer: the kernel's entry/exit cost (informational). */
  emptySyscall(): void;
  close(): void;
}

export interface EngineOptions {
  path: string;
  blockSize: number;
  /** psync2: pass RWF_HIPRI. */
  hipri: boolean;
}

/** How an engine asks the kernel to poll for completion; what measure/ makes of each is in engine-plan.ts. */
export type PollingMethod = 'RWF_HIPRI' | 'IORING_SETUP_IOPOLL';

/**
 * Everything nvprobe knows about one engine, in one place (fio's engines are ops tables too): the
 * plan, the tracer, the report and the CLI read it, none of them knows an engine by its name. The
 * registry is engines.ts. Only `open` touches the FFI layer, which loads on first use.
 */
export interface EngineDescriptor {
  name: EngineName;
  /** `probe --engine` offers it (the null engine is for tests only). */
  choosable: boolean;
  /** How one read is issued, as a report names it: `psync2 (preadv2)`. */
  reads: string;
  /** What it does, for `probe --help`'s --engine. */
  help: string;
  /**
   * What `--engine auto` does with it: 'where-queue-polls' picks it where the disk's queue has poll
   * queues; 'otherwise' picks it everywhere else, and with --no-hipri; null: never. At most one
   * engine per role (registerEngine checks).
   */
  auto: 'where-queue-polls' | 'otherwise' | null;
  /** The fio job that reads the same way: `ioengine=` and the option that turns polling on. */
  fio: { ioengine: string; pollOption: string };
  /** The syscall one read enters, which kernel tracing follows (trace/io-events.ts knows these); null: none. */
  syscall: 'preadv2' | 'io_uring_enter' | null;
  /**
   * How it asks the kernel to poll for completion, or null when it cannot. RWF_HIPRI is asked
   * for per read whenever the hipri option is on; IORING_SETUP_IOPOLL at setup, only where the
   * queue has poll queues (elsewhere the reads would fail).
   */
  polling: PollingMethod | null;
  /** The probe options it takes besides the target and block size (`hipri`: --no-hipri). */
  options: readonly 'hipri'[];
  /** Open `path` for O_DIRECT reads; `poll` asks for polled completion by the engine's own means. */
  open(target: { path: string; blockSize: number }, opts: { poll: boolean }): IoEngine;
}

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

export type EngineName = 'psync2' | 'io_uring' | 'null';

export interface EngineOptions {
  path: string;
  blockSize: number;
  /** psync2: pass RWF_HIPRI. */
  hipri: boolean;
}

/**
 * Everything nvprobe knows about one engine, in one place (fio's engines are ops tables too).
 * The registry is `ENGINES` in engines.ts; `EngineName` above and `ENGINE_CHOICES` (the probe
 * document's contract) must list the name (they stay free of the FFI layer, which every command
 * loads otherwise).
 */
export interface EngineDescriptor {
  name: EngineName;
  /** `probe --engine` offers it (the null engine is for tests only). */
  choosable: boolean;
  /** The fio job that reads the same way: `ioengine=` and the option that turns polling on. */
  fio: { ioengine: string; pollOption: string };
  /** The syscall one read enters, which kernel tracing follows (trace/io-events.ts knows these); null: none. */
  syscall: 'preadv2' | 'io_uring_enter' | null;
  /** How it asks the kernel to poll for completion, or null when it cannot. */
  polling: 'RWF_HIPRI' | 'IORING_SETUP_IOPOLL' | null;
  /** The probe options it takes besides the target and block size (`hipri`: --no-hipri). */
  options: readonly 'hipri'[];
  /** Open `path` for O_DIRECT reads; `poll` asks for polled completion by the engine's own means. */
  open(target: { path: string; blockSize: number }, opts: { poll: boolean }): IoEngine;
}

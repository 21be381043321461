import type { EngineDescriptor, IoEngine } from '../../src/io/engine.js';
import { Psync2Engine } from '../../src/io/psync2.js';

/**
 * An engine nvprobe does not ship, defined in this one file as adding a real one would take: plain
 * preadv2 (no flags) through the existing native bindings, under its own name. What the registry,
 * the plan, the tracer and the report know of it comes from THROWAWAY alone.
 */
export class ThrowawayEngine implements IoEngine {
  readonly name = 'throwaway';
  readonly pollRequested = false;
  private readonly reader: Psync2Engine;

  constructor(target: { path: string; blockSize: number }) {
    this.reader = new Psync2Engine({ ...target, hipri: false });
  }

  get blockSize(): number {
    return this.reader.blockSize;
  }

  get data(): Buffer {
    return this.reader.data;
  }

  read(offset: number): void {
    this.reader.read(offset);
  }

  noop(): void {
    this.reader.noop();
  }

  emptySyscall(): void {
    this.reader.emptySyscall();
  }

  close(): void {
    this.reader.close();
  }
}

export const THROWAWAY: EngineDescriptor = {
  name: 'throwaway',
  choosable: true,
  reads: 'plain preadv2, a test engine',
  help: 'plain preadv2 (tests only)',
  auto: null,
  // fio's psync reads with pread: the nearest fio engine without polling.
  fio: { ioengine: 'psync', pollOption: 'hipri' },
  syscall: 'preadv2',
  polling: null,
  options: [],
  open: (target) => new ThrowawayEngine(target),
};

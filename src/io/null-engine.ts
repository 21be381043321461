import type { EngineDescriptor, EngineOptions, IoEngine } from './engine.js';

/**
 * An engine without a device: each read stamps its offset into the buffer. Lets tests check
 * the measurement core (offsets, counts, statistics) independently of any disk.
 */
export class NullEngine implements IoEngine {
  readonly name = 'null' as const;
  readonly blockSize: number;
  readonly pollRequested = false;
  readonly data: Buffer;
  readonly offsets: number[] = [];
  private readonly record: boolean;

  constructor(opts: Pick<EngineOptions, 'blockSize'> & { recordOffsets?: boolean }) {
    this.blockSize = opts.blockSize;
    this.data = Buffer.alloc(opts.blockSize);
    this.record = opts.recordOffsets ?? false;
  }

  read(offset: number): void {
    this.data.writeDoubleLE(offset, 0);
    if (this.record) this.offsets.push(offset);
  }

  noop(): void {}

  emptySyscall(): void {}

  close(): void {}
}

export const NULL_ENGINE: EngineDescriptor = {
  name: 'null',
  choosable: false,
  reads: 'no device: stamps each offset into the buffer',
  help: 'no device (tests only)',
  auto: null,
  fio: { ioengine: 'null', pollOption: 'hipri' },
  syscall: null,
  polling: null,
  options: [],
  open: (target) => new NullEngine(target),
};

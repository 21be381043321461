import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IoUringEngine } from '../../src/io/io-uring.js';
import { IoUringError } from '../../src/io/io-uring-errors.js';
import { NativeError } from '../../src/native/native-error.js';
import { diskTempDir, expectedBlock, readAndCheckBlocks, writeOffsetFile } from '../helpers/files.js';
import { withLoopDevice } from '../helpers/loop-device.js';
import { queueOfFile } from '../helpers/queue.js';

const BLOCKS = 4096; // 16 MiB
let tmp: ReturnType<typeof diskTempDir>;
let file: string;

beforeAll(() => {
  tmp = diskTempDir();
  file = join(tmp.dir, 'offsets.dat');
  writeOffsetFile(file, BLOCKS);
});
afterAll(() => tmp.remove());

function readAndCheck(path: string, blocks = BLOCKS): number {
  const engine = new IoUringEngine({ path, blockSize: 4096, poll: false });
  try {
    expect(engine.name).toBe('io_uring');
    expect(engine.pollRequested).toBe(false);
    expect(engine.data.length).toBe(4096);
    return readAndCheckBlocks(engine, blocks, 7);
  } finally {
    engine.close();
  }
}

const openFds = (target: string) =>
  readdirSync('/proc/self/fd').filter((n) => {
    try {
      return readlinkSync(`/proc/self/fd/${n}`) === target;
    } catch {
      return false;
    }
  });

describe('io_uring engine reads real data', () => {
  it('from a file on the root filesystem, byte for byte (interrupt completion)', () => {
    expect(readAndCheck(file)).toBe(2000);
  });

  it('from a read-only direct-I/O loop device, byte for byte', async () => {
    await withLoopDevice(file, (dev) => {
      expect(readAndCheck(dev)).toBe(2000);
    });
  });

  it('at offsets beyond 4 GiB (the SQE offset is 64 bits), in a sparse file', () => {
    const sparse = join(tmp.dir, 'sparse.dat');
    const fd = openSync(sparse, 'wx', 0o600);
    const far = [2 ** 32, 2 ** 32 + 4096 * 3, 5 * 2 ** 32 + 4096 * 77];
    try {
      for (const off of far) writeSync(fd, expectedBlock(off), 0, 4096, off);
    } finally {
      closeSync(fd);
    }
    const engine = new IoUringEngine({ path: sparse, blockSize: 4096, poll: false });
    try {
      for (const off of far) {
        engine.read(off);
        expect(engine.data.readDoubleLE(0)).toBe(off);
        expect(engine.data.equals(expectedBlock(off))).toBe(true);
      }
      engine.read(4096); // a hole below 4 GiB: zeros, so the high word really mattered above
      expect(engine.data.every((b) => b === 0)).toBe(true);
    } finally {
      engine.close();
    }
  });

  it('fails a read past the end with a typed short-read error, and keeps working after it', () => {
    const engine = new IoUringEngine({ path: file, blockSize: 4096, poll: false });
    try {
      expect(() => engine.read(BLOCKS * 4096)).toThrow(/io_uring read at offset \d+ failed.*short read: 0 of 4096/);
      engine.read(4096 * 5); // the ring is still in step
      expect(engine.data.equals(expectedBlock(4096 * 5))).toBe(true);
    } finally {
      engine.close();
    }
  });

  it('reports the CQE errno of a misaligned O_DIRECT read', () => {
    const engine = new IoUringEngine({ path: file, blockSize: 4096, poll: false });
    try {
      let caught: unknown;
      try {
        engine.read(100);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(NativeError);
      expect((caught as NativeError).code).toBe('EINVAL');
      expect((caught as NativeError).syscall).toBe('io_uring read');
    } finally {
      engine.close();
    }
  });

  it('opens the target read-only with O_DIRECT, and closes it and the ring', () => {
    const ringsBefore = openFds('anon_inode:[io_uring]').length;
    const engine = new IoUringEngine({ path: file, blockSize: 4096, poll: false });
    const [fd] = openFds(file);
    expect(fd).toBeDefined();
    const flags = parseInt(/flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);
    expect(flags & 3).toBe(0); // O_RDONLY
    expect(flags & 0o40000).toBe(0o40000); // O_DIRECT (x86_64)
    expect(openFds('anon_inode:[io_uring]').length).toBe(ringsBefore + 1);
    engine.close();
    expect(openFds(file)).toEqual([]);
    expect(openFds('anon_inode:[io_uring]').length).toBe(ringsBefore);
  });

  it('noop() and emptySyscall() complete no read and leave the ring in step', () => {
    const engine = new IoUringEngine({ path: file, blockSize: 4096, poll: false });
    try {
      engine.read(4096 * 9);
      for (let i = 0; i < 1000; i++) {
        engine.noop();
        engine.emptySyscall();
      }
      expect(engine.data.equals(expectedBlock(4096 * 9))).toBe(true); // nothing overwrote the buffer
      engine.read(4096 * 10);
      expect(engine.data.equals(expectedBlock(4096 * 10))).toBe(true);
    } finally {
      engine.close();
    }
  });
});

describe('io_uring engine with IORING_SETUP_IOPOLL', () => {
  it('is refused with EOPNOTSUPP at the first read where the queue has no poll queues, leaking nothing', () => {
    const queue = queueOfFile(file);
    if (queue.ioPoll) {
      // A machine whose disk polls: IOPOLL must work and read the right data.
      const engine = new IoUringEngine({ path: file, blockSize: 4096, poll: true });
      try {
        engine.read(4096 * 3);
        expect(engine.data.equals(expectedBlock(4096 * 3))).toBe(true);
      } finally {
        engine.close();
      }
      return;
    }
    const ringsBefore = openFds('anon_inode:[io_uring]').length;
    let caught: unknown;
    try {
      new IoUringEngine({ path: file, blockSize: 4096, poll: true });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(IoUringError);
    const e = caught as IoUringError;
    expect(e.stage).toBe('first-read');
    expect(e.code).toBe('EOPNOTSUPP');
    expect(e.pollRequested).toBe(true);
    expect(e.message).toMatch(/io_uring read at offset 0 failed: EOPNOTSUPP/);
    expect(openFds(file)).toEqual([]);
    expect(openFds('anon_inode:[io_uring]').length).toBe(ringsBefore);
  });

  it('is refused the same way on a loop device (loop has no poll queues)', async () => {
    await withLoopDevice(file, (dev) => {
      expect(() => new IoUringEngine({ path: dev, blockSize: 4096, poll: true })).toThrow(/EOPNOTSUPP/);
    });
  });
});

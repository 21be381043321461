import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Psync2Engine } from '../../src/io/psync2.js';
import { NativeError } from '../../src/native/native-error.js';
import { diskTempDir, readAndCheckBlocks, writeOffsetFile } from '../helpers/files.js';
import { withLoopDevice } from '../helpers/loop-device.js';

const BLOCKS = 4096; // 16 MiB
let tmp: ReturnType<typeof diskTempDir>;
let file: string;

beforeAll(() => {
  tmp = diskTempDir();
  file = join(tmp.dir, 'offsets.dat');
  writeOffsetFile(file, BLOCKS);
});
afterAll(() => tmp.remove());

function readAndCheck(path: string, hipri: boolean): number {
  const engine = new Psync2Engine({ path, blockSize: 4096, hipri });
  try {
    expect(engine.data.length).toBe(4096);
    return readAndCheckBlocks(engine, BLOCKS, 99);
  } finally {
    engine.close();
  }
}

describe('psync2 engine reads real data', () => {
  it('from a file on the root filesystem, byte for byte, with and without RWF_HIPRI', () => {
    expect(readAndCheck(file, true)).toBe(2000);
    expect(readAndCheck(file, false)).toBe(2000);
  });

  it('from a read-only direct-I/O loop device, byte for byte', async () => {
    await withLoopDevice(file, (dev) => {
      expect(readAndCheck(dev, true)).toBe(2000);
    });
  });

  it('fails a read past the end with a typed short-read error, not garbage', () => {
    const engine = new Psync2Engine({ path: file, blockSize: 4096, hipri: true });
    try {
      expect(() => engine.read(BLOCKS * 4096)).toThrow(/short read: 0 of 4096/);
    } finally {
      engine.close();
    }
  });

  it('reports the errno of a misaligned O_DIRECT read', () => {
    const engine = new Psync2Engine({ path: file, blockSize: 4096, hipri: false });
    try {
      let caught: unknown;
      try {
        engine.read(100);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(NativeError);
      expect((caught as NativeError).code).toBe('EINVAL');
    } finally {
      engine.close();
    }
  });

  it('opens targets read-only: the descriptor refuses writes', async () => {
    const { readlinkSync, readFileSync, readdirSync } = await import('node:fs');
    const engine = new Psync2Engine({ path: file, blockSize: 4096, hipri: false });
    try {
      const fdDir = '/proc/self/fd';
      const fd = readdirSync(fdDir).find((n) => {
        try {
          return readlinkSync(join(fdDir, n)) === file;
        } catch {
          return false;
        }
      });
      expect(fd).toBeDefined();
      const flags = parseInt(/flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);
      expect(flags & 3).toBe(0); // O_RDONLY
      expect(flags & 0o40000).toBe(0o40000); // O_DIRECT (x86_64)
    } finally {
      engine.close();
    }
  });
});

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createScratchFile, removeOrphans } from '../../src/host/scratch-file.js';
import { diskTempDir } from '../helpers/files.js';

const tmp = diskTempDir('nvprobe-scratch-');
afterAll(() => tmp.remove());

describe('scratch files', () => {
  it('hold real, per-block-unique data and go away when removed', async () => {
    const s = await createScratchFile(tmp.dir, 8 << 20);
    const { readFileSync } = await import('node:fs');
    const data = readFileSync(s.path);
    expect(data.length).toBe(8 << 20);
    expect(data.readDoubleLE(4096 * 7)).toBe(4096 * 7); // each block starts with its offset
    expect(data.subarray(8, 4096).some((b) => b !== 0)).toBe(true);
    s.remove();
    expect(existsSync(s.path)).toBe(false);
  });

  it("left behind by a killed process are removed by the next run; a live one's are kept", () => {
    const dead = join(tmp.dir, '.nvprobe-scratch-999999999-1.dat');
    const live = join(tmp.dir, `.nvprobe-scratch-${process.pid}-2.dat`);
    const other = join(tmp.dir, 'user-file.dat');
    for (const f of [dead, live, other]) writeFileSync(f, 'x');
    expect(removeOrphans(tmp.dir)).toEqual(['.nvprobe-scratch-999999999-1.dat']);
    expect([existsSync(dead), existsSync(live), existsSync(other)]).toEqual([false, true, true]);
  });
});

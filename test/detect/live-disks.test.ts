import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectDisk } from '../../src/detect/disks.js';
import { diskNameForDevno, findRootFsDevice, splitDevno } from '../../src/detect/root-fs.js';
import { Root } from '../../src/host/root.js';
import { makeTemp, removeTemp } from '../helpers/fixtures.js';

// Real block devices of this machine: the disk under / and a loop device made for the test.
const live = new Root('/');
const temp = makeTemp();
let loop: string | null = null;
afterAll(() => {
  if (loop) execFileSync('losetup', ['-d', loop]);
  removeTemp(temp);
});

describe('live disks', () => {
  it('maps the device number of / to the disk findRootFsDevice names', () => {
    const { major, minor } = splitDevno(statSync('/').dev);
    const rootFs = findRootFsDevice(live)!;
    expect(rootFs.dev).toBe(`${major}:${minor}`);
    expect(diskNameForDevno(live, major, minor)).toBe(rootFs.disk);
    const disk = detectDisk(live, rootFs.disk!);
    expect(disk.rootFs === 'self' || disk.rootFs === 'partition').toBe(true);
    expect(disk.vanished).toBe(false);
    expect(disk.sizeBytes).toBeGreaterThan(0);
  });

  it('reads a read-only direct-I/O loop device attached for the test', () => {
    const file = join(temp, 'backing.img');
    writeFileSync(file, Buffer.alloc(8 << 20));
    loop = execFileSync('losetup', ['--direct-io=on', '-f', '--show', '-r', file], { encoding: 'utf8' }).trim();
    const name = loop.slice('/dev/'.length);
    const { major, minor } = splitDevno(statSync(loop).rdev);
    expect(diskNameForDevno(live, major, minor)).toBe(name);
    const d = detectDisk(live, name);
    expect(d).toMatchObject({ name, transport: 'loop', sizeBytes: 8 << 20, readOnly: true, pci: null, rootFs: null, vanished: false });
    expect(d.dev).toBe(`${major}:${minor}`);
    expect(d.queues.hwQueues).toBeGreaterThanOrEqual(1);
    expect(d.settings.logicalBlockSize).toBe(512);
  });
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readTar, writeTar, type TarEntry } from '../../src/host/tar.js';
import { makeTemp, removeTemp } from '../helpers/fixtures.js';

const LIMITS = { maxMemberBytes: 1 << 20, maxMembers: 1000 };
const temps: string[] = [];
afterEach(() => temps.splice(0).forEach(removeTemp));
const temp = () => {
  const d = makeTemp('nvprobe-tar-');
  temps.push(d);
  return d;
};

const LONG = `tree/sys/devices/${'pci0000:00/0000:00:02.0/'.repeat(9)}virtio1/block/vda/queue/scheduler`;

describe('tar writer and reader', () => {
  it('round-trips files, directories, links, long names (pax) and long link targets', () => {
    const entries: TarEntry[] = [
      { kind: 'dir', name: 'tree' },
      { kind: 'file', name: 'manifest.json', data: Buffer.from('{"a":1}\n') },
      { kind: 'file', name: LONG, data: Buffer.from('none [mq-deadline]\n') },
      { kind: 'link', name: 'tree/sys/block/vda', target: `../devices/${'x/'.repeat(60)}vda` },
      { kind: 'file', name: 'empty', data: Buffer.alloc(0) },
    ];
    const back = readTar(writeTar(entries), LIMITS);
    expect(back.map((e) => [e.kind, e.name])).toEqual(entries.map((e) => [e.kind, e.name]));
    expect((back[2] as { data: Buffer }).data.toString()).toBe('none [mq-deadline]\n');
    expect((back[3] as { target: string }).target).toBe(`../devices/${'x/'.repeat(60)}vda`);
    expect(LONG.length).toBeGreaterThan(255);
  });

  it('writes archives GNU tar lists and extracts, symlinks and long names included', () => {
    const dir = temp();
    const target = `../devices/${'pci0000:00/0000:00:02.0/'.repeat(5)}virtio1/block/vda`;
    writeFileSync(
      join(dir, 'a.tar'),
      writeTar([
        { kind: 'file', name: LONG, data: Buffer.from('x\n') },
        { kind: 'link', name: 'tree/sys/block/vda', target },
      ]),
    );
    const list = execFileSync('tar', ['-tvf', join(dir, 'a.tar')], { encoding: 'utf8' });
    expect(list).toContain(LONG);
    mkdirSync(join(dir, 'out'));
    execFileSync('tar', ['-xf', join(dir, 'a.tar'), '-C', join(dir, 'out')]);
    expect(readFileSync(join(dir, 'out', LONG), 'utf8')).toBe('x\n');
    expect(readlinkSync(join(dir, 'out/tree/sys/block/vda'))).toBe(target);
  });

  it('reads archives written by GNU tar, relative symlinks inside the tree accepted', () => {
    const dir = temp();
    mkdirSync(join(dir, 'src/tree/sys/devices/virtio1/block/vda'), { recursive: true });
    mkdirSync(join(dir, 'src/tree/sys/block'));
    writeFileSync(join(dir, 'src/tree/sys/devices/virtio1/block/vda/size'), '8\n');
    symlinkSync('../devices/virtio1/block/vda', join(dir, 'src/tree/sys/block/vda'));
    execFileSync('tar', ['-cf', join(dir, 'g.tar'), '-C', join(dir, 'src'), 'tree']);
    const got = readTar(readFileSync(join(dir, 'g.tar')), LIMITS);
    expect(got.find((e) => e.name === 'tree/sys/block/vda')).toEqual({ kind: 'link', name: 'tree/sys/block/vda', target: '../devices/virtio1/block/vda' });
    expect(got.find((e) => e.name === 'tree/sys/devices/virtio1/block/vda/size')).toMatchObject({ kind: 'file' });
  });

  const refuse = (entries: TarEntry[], message: RegExp, limits = LIMITS) => expect(() => readTar(writeTar(entries), limits)).toThrow(message);

  it('refuses absolute names and ..', () => {
    refuse([{ kind: 'file', name: '/etc/passwd', data: Buffer.from('x') }], /absolute path/);
    refuse([{ kind: 'file', name: 'tree/../../etc/passwd', data: Buffer.from('x') }], /climbs out with '\.\.'/);
    refuse([{ kind: 'file', name: '../x', data: Buffer.from('x') }], /climbs out/);
  });

  it('refuses symlinks that leave the root, directly, absolutely or through another link', () => {
    refuse([{ kind: 'link', name: 'tree/x', target: '../../etc' }], /points outside the archive/);
    refuse([{ kind: 'link', name: 'x', target: '/etc/passwd' }], /absolute path/);
    // Each lexically inside, together outside: d/up -> .. (the root), e -> d/up/..
    refuse(
      [
        { kind: 'link', name: 'd/up', target: '..' },
        { kind: 'link', name: 'e', target: 'd/up/..' },
      ],
      /"e" points outside/,
    );
    refuse(
      [
        { kind: 'link', name: 'a', target: 'b' },
        { kind: 'link', name: 'b', target: 'a' },
      ],
      /loop/,
    );
  });

  it('refuses device files, FIFOs, hard links, duplicates and members above the limits', () => {
    const withType = (type: string) => {
      const buf = writeTar([{ kind: 'file', name: 'dev/sda', data: Buffer.alloc(0) }]);
      buf.write(type, 156, 1, 'latin1');
      // Fix the header checksum so that only the type is wrong.
      buf.fill(0x20, 148, 156);
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += buf[i]!;
      buf.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
      return buf;
    };
    expect(() => readTar(withType('3'), LIMITS)).toThrow(/device file/);
    expect(() => readTar(withType('4'), LIMITS)).toThrow(/device file/);
    expect(() => readTar(withType('6'), LIMITS)).toThrow(/FIFO/);
    expect(() => readTar(withType('1'), LIMITS)).toThrow(/hard link/);
    refuse(
      [
        { kind: 'file', name: 'a', data: Buffer.from('1') },
        { kind: 'file', name: './a', data: Buffer.from('2') },
      ],
      /appears twice/,
    );
    refuse([{ kind: 'file', name: 'big', data: Buffer.alloc(2 << 20) }], /above the limit/);
    refuse(
      [
        { kind: 'file', name: 'a', data: Buffer.from('1') },
        { kind: 'file', name: 'b', data: Buffer.from('2') },
      ],
      /more than 1 members/,
      { ...LIMITS, maxMembers: 1 },
    );
  });

  it('refuses truncated and corrupt archives', () => {
    const good = writeTar([{ kind: 'file', name: 'a', data: Buffer.alloc(3000, 1) }]);
    expect(() => readTar(good.subarray(0, 1024), LIMITS)).toThrow(/truncated/);
    expect(() => readTar(good.subarray(0, 300), LIMITS)).toThrow(/truncated/);
    const bad = Buffer.from(good);
    bad[10] = bad[10]! ^ 0xff;
    expect(() => readTar(bad, LIMITS)).toThrow(/bad header checksum/);
    expect(() => readTar(Buffer.alloc(1024, 0x41), LIMITS)).toThrow(/not a tar archive/);
  });
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readTar, TarError, writeTar, type TarEntry } from '../../src/host/tar.js';
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

/** One raw ustar header block (checksum filled in) followed by `body`, padded: hand-made members. */
function rawMember(name: string, type: string, body: Buffer): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100, 8, 'latin1');
  h.write('0000000\0', 108, 8, 'latin1');
  h.write('0000000\0', 116, 8, 'latin1');
  h.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124, 12, 'latin1');
  h.write('00000000000\0', 136, 12, 'latin1');
  h.write(type, 156, 1, 'latin1');
  h.write('ustar\0', 257, 6, 'latin1');
  h.write('00', 263, 2, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([h, body, pad]);
}
const END = Buffer.alloc(1024);

describe('tar reader against hostile archives: bounded, one clear error, quickly', () => {
  const timed = (buf: Buffer, limits = LIMITS) => {
    const t0 = performance.now();
    let err: unknown = null;
    try {
      readTar(buf, limits);
    } catch (e) {
      err = e;
    }
    return { ms: performance.now() - t0, message: err instanceof Error ? err.message : null };
  };

  it('a pax record whose length is 0, or runs past its header, or lacks its newline, is corrupt (it looped forever)', () => {
    for (const body of ['0 path=x\n', '99 path=x\n', '12 path=abc!', '3 \n', 'x path=a\n', '']) {
      const r = timed(Buffer.concat([rawMember('PaxHeader', 'x', Buffer.from(body)), rawMember('a', '0', Buffer.from('a')), END]));
      expect(r.ms, JSON.stringify(body)).toBeLessThan(500);
      if (body !== '') expect(r.message, JSON.stringify(body)).toMatch(/corrupt pax header/);
    }
  });

  it('a 1 MB pax name fails at its header, before anything else is read', () => {
    const rec = (v: string) => {
      const body = ` path=${v}\n`;
      let len = body.length + 7;
      while (String(len).length + body.length !== len) len = String(len).length + body.length;
      return `${len}${body}`;
    };
    const r = timed(Buffer.concat([rawMember('PaxHeader', 'x', Buffer.from(rec('n'.repeat(1 << 20)))), rawMember('a', '0', Buffer.from('a')), END]), { ...LIMITS, maxMemberBytes: 4 << 20 });
    expect(r.message).toMatch(/a pax header of \d+ bytes, above the limit of 65536/);
  });

  it('37 chained symlinks, a loop, and links that fan out twice per step are refused or accepted in milliseconds', () => {
    // l0 -> l1/../l1 -> ...: every link walks through the next one twice (2^37 walks, unbounded).
    const chain: TarEntry[] = [
      { kind: 'dir', name: 'd' },
      { kind: 'dir', name: 'd/s' },
    ];
    for (let i = 0; i < 37; i++) chain.push({ kind: 'link', name: `d/l${i}`, target: i === 36 ? 's' : `l${i + 1}/../l${i + 1}` });
    const c = timed(writeTar(chain));
    expect(c.ms).toBeLessThan(1000);
    expect(c.message).toMatch(/part of a loop, or a chain longer than 40 links/);
    const loop = timed(
      writeTar([
        { kind: 'link', name: 'a', target: 'b' },
        { kind: 'link', name: 'b', target: 'a' },
      ]),
    );
    expect(loop.message).toMatch(/part of a loop/);
    // 45,000 links of the kind a sys tree holds, all staying inside: accepted, fast.
    const many: TarEntry[] = [
      { kind: 'dir', name: 'sys' },
      { kind: 'dir', name: 'sys/devices' },
    ];
    for (let i = 0; i < 45_000; i++) many.push({ kind: 'link', name: `sys/l${i}`, target: `devices/d${i}` });
    const m = timed(writeTar(many), { ...LIMITS, maxMembers: 50_000 });
    expect(m.message).toBeNull();
    expect(m.ms).toBeLessThan(5000);
  });
});

describe('tar reader under fuzzing', () => {
  it('2000 archives with 1-8 random bytes changed: every one read or refused with a TarError, each within 200 ms', () => {
    const base = writeTar([
      { kind: 'dir', name: 'tree' },
      { kind: 'file', name: 'manifest.json', data: Buffer.from('{"a":1}\n') },
      { kind: 'file', name: LONG, data: Buffer.from('none [mq-deadline]\n') },
      { kind: 'link', name: 'tree/sys/block/vda', target: `../devices/${'x/'.repeat(60)}vda` },
      { kind: 'link', name: 'tree/l0', target: 'sys/block/vda' },
      { kind: 'file', name: 'empty', data: Buffer.alloc(0) },
    ]);
    // A small deterministic generator (xorshift32): a failure is reproducible from its iteration.
    let seed = 0x9e3779b9;
    const next = () => {
      seed ^= seed << 13;
      seed >>>= 0;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      seed >>>= 0;
      return seed;
    };
    let refused = 0;
    let slowest = 0;
    for (let i = 0; i < 2000; i++) {
      const buf = Buffer.from(base);
      const changes = 1 + (next() % 8);
      for (let c = 0; c < changes; c++) {
        // Mostly in headers (the first 512 bytes of each member), where the parser decides.
        const block = next() % (buf.length / 512);
        buf[block * 512 + (next() % 512)] = next() & 0xff;
      }
      const t0 = performance.now();
      try {
        readTar(buf, LIMITS);
      } catch (err) {
        expect(err, `iteration ${i}: ${(err as Error).message}`).toBeInstanceOf(TarError);
        refused++;
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    expect(slowest).toBeLessThan(200);
    expect(refused).toBeGreaterThan(100); // the mutations did reach the parser
  });
});

import { mkdirSync, readlinkSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingRoot } from '../../src/host/recording-root.js';
import { Root } from '../../src/host/root.js';
import { prepareEmptyDir, writeTree } from '../../src/host/tree-writer.js';
import { makeTemp, removeTemp } from '../helpers/fixtures.js';

const temps: string[] = [];
afterEach(() => temps.splice(0).forEach(removeTemp));
const temp = () => {
  const d = makeTemp();
  temps.push(d);
  return d;
};

/** A small tree: sys/block/xda → ../devices/bus0/xda (relative), sys/class/x → /sys/devices/bus0 (absolute). */
function smallTree(): string {
  const src = temp();
  mkdirSync(join(src, 'sys/devices/bus0/xda/queue'), { recursive: true });
  mkdirSync(join(src, 'sys/devices/bus0/xda/empty'), { recursive: true });
  writeFileSync(join(src, 'sys/devices/bus0/xda/queue/scheduler'), 'none [mq-deadline]\n');
  writeFileSync(join(src, 'sys/devices/bus0/xda/size'), '2048\n');
  writeFileSync(join(src, 'sys/devices/bus0/xda/unread'), 'secret\n');
  mkdirSync(join(src, 'sys/block'), { recursive: true });
  mkdirSync(join(src, 'sys/class'), { recursive: true });
  symlinkSync('../devices/bus0/xda', join(src, 'sys/block/xda'));
  symlinkSync('/sys/devices/bus0', join(src, 'sys/class/x'));
  return src;
}

describe('RecordingRoot + writeTree', () => {
  it('replays reads through symlink chains from the copy', () => {
    const rec = new RecordingRoot(smallTree());
    expect(rec.attr('/sys/block/xda/queue/scheduler')).toBe('none [mq-deadline]');
    expect(rec.attr('/sys/class/x/xda/size')).toBe('2048');
    expect(rec.list('/sys/block/xda')).toEqual(['empty', 'queue', 'size', 'unread']);
    expect(rec.entries.get('/sys/block/xda')).toEqual({ kind: 'link', target: '../devices/bus0/xda' });
    expect(rec.entries.get('/sys/devices/bus0/xda/queue/scheduler')).toEqual({ kind: 'file', content: 'none [mq-deadline]\n' });
    // Listed files are not copied unless read.
    expect(rec.entries.has('/sys/devices/bus0/xda/unread')).toBe(false);

    const out = join(temp(), 'copy');
    prepareEmptyDir(out);
    const written = writeTree(out, rec.entries);
    expect(written).toMatchObject({ files: 2, links: 2, skipped: [] });
    const copy = new Root(out);
    expect(copy.attr('/sys/block/xda/queue/scheduler')).toBe('none [mq-deadline]');
    expect(copy.attr('/sys/class/x/xda/size')).toBe('2048');
    expect(copy.realpath('/sys/block/xda')).toBe('/sys/devices/bus0/xda');
    // Absolute links become relative so the copy stands alone.
    expect(readlinkSync(join(out, 'sys/class/x'))).toBe('../devices/bus0');
    expect(existsSync(join(out, 'sys/devices/bus0/xda/unread'))).toBe(false);
    // Empty directories are left out, as git would leave them out of a fixture.
    expect(existsSync(join(out, 'sys/devices/bus0/xda/empty'))).toBe(false);
  });

  it('records a missing path as absent and a checked file as present', () => {
    const rec = new RecordingRoot(smallTree());
    expect(rec.attr('/sys/block/xda/nothing')).toBeNull();
    expect(rec.exists('/sys/block/xda/unread')).toBe(true);
    expect(rec.entries.has('/sys/devices/bus0/xda/nothing')).toBe(false);
    expect(rec.entries.get('/sys/devices/bus0/xda/unread')).toEqual({ kind: 'file', content: null });
  });

  it('keeps /proc/self as a directory on a live system', () => {
    const rec = new RecordingRoot('/');
    expect(rec.text('/proc/self/mountinfo')).toMatch(/ \/ /);
    expect(rec.entries.get('/proc/self')).toEqual({ kind: 'dir' });
    expect(rec.entries.get('/proc/self/mountinfo')?.kind).toBe('file');
  });

  it('reads exactly like a plain Root', () => {
    const src = smallTree();
    const plain = new Root(src);
    const rec = new RecordingRoot(src);
    for (const p of ['/sys/block/xda/size', '/sys/block/xda/missing', '/sys/block/xda/queue']) {
      expect(rec.readAttr(p)).toEqual(plain.readAttr(p));
      expect(rec.kind(p)).toEqual(plain.kind(p));
    }
    expect(rec.kind('/sys/block/xda')).toBe('link');
  });
});

describe('prepareEmptyDir', () => {
  it('creates a missing directory, accepts an empty one, refuses a non-empty one or a file', () => {
    const base = temp();
    prepareEmptyDir(join(base, 'a'));
    expect(existsSync(join(base, 'a'))).toBe(true);
    expect(() => prepareEmptyDir(join(base, 'a'))).not.toThrow();
    writeFileSync(join(base, 'a/f'), '');
    expect(() => prepareEmptyDir(join(base, 'a'))).toThrow(/is not empty/);
    expect(() => prepareEmptyDir(join(base, 'a/f'))).toThrow(expect.objectContaining({ exitCode: 2 }));
  });

  it('refuses a missing parent quickly, also where mkdir misbehaves (procfs)', () => {
    expect(() => prepareEmptyDir(join(temp(), 'no/such'))).toThrow(/its directory does not exist|parent directory does not exist/);
    expect(() => prepareEmptyDir('/proc/nvprobe-no-such-dir')).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});

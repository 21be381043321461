import { describe, expect, test } from 'vitest';
import { ConsoleDecoder, encodeCommand, MARK } from './serial-protocol.js';

/** What the guest's /init prints for one command (base64 wrapped at 76, CRLF from the tty). */
function frame(id: string, stdout: string, stderr = '', rc = 0): string {
  const b64 = (s: string) =>
    (
      Buffer.from(s)
        .toString('base64')
        .match(/.{1,76}/g) ?? []
    )
      .map((l) => `${l}\r\n`)
      .join('');
  const out = Buffer.byteLength(stdout);
  const err = Buffer.byteLength(stderr);
  return `${MARK.begin} ${id}@@\r\n${b64(stdout)}${MARK.stderr} ${id}@@\r\n${b64(stderr)}${MARK.end} ${id} rc=${rc} out=${out} err=${err}@@\r\n`;
}

describe('ConsoleDecoder', () => {
  test('decodes a frame delivered in arbitrary pieces, after boot noise', () => {
    const text = `[    0.1] boot noise\r\n${MARK.ready}\r\n${frame('c1', 'x'.repeat(500), 'warn\n', 3)}`;
    const d = new ConsoleDecoder();
    const events = [];
    for (let i = 0; i < text.length; i += 7) events.push(...d.push(text.slice(i, i + 7)));
    expect(events.map((e) => e.kind)).toEqual(['ready', 'result']);
    const r = events[1];
    if (r?.kind !== 'result') throw new Error('unreachable');
    expect(r.output.stdout.toString()).toBe('x'.repeat(500));
    expect(r.output.stderr.toString()).toBe('warn\n');
    expect(r.output.exitCode).toBe(3);
    expect(d.log()).toContain('boot noise');
  });

  test('skips kernel messages between the lines of a frame', () => {
    const f = frame('c2', 'hello world, a line long enough to wrap '.repeat(4)).split('\r\n');
    f.splice(2, 0, '[   12.5] virtio_blk virtio0: some message');
    const [e] = new ConsoleDecoder().push(f.join('\r\n'));
    expect(e).toMatchObject({ kind: 'result', id: 'c2' });
  });

  test('reports a frame whose byte count does not match instead of returning wrong data', () => {
    const f = frame('c3', 'payload that noise will corrupt').split('\r\n');
    f.splice(2, 0, 'randomword'); // looks like base64
    const [e] = new ConsoleDecoder().push(f.join('\r\n'));
    expect(e).toMatchObject({ kind: 'protocol-error' });
  });

  test('init errors and acks are events', () => {
    const events = new ConsoleDecoder().push(`${MARK.initError} insmod virtio_blk@@\n${MARK.ack} c4@@\n`);
    expect(events).toEqual([
      { kind: 'init-error', message: 'insmod virtio_blk' },
      { kind: 'ack', id: 'c4' },
    ]);
  });
});

describe('encodeCommand', () => {
  test('cuts a long script into C lines ending in one R line that together decode to it', () => {
    const script = `echo ${'y'.repeat(5000)}`;
    const lines = encodeCommand('c9', script);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(0, -1).every((l) => l.startsWith('C c9 '))).toBe(true);
    expect(lines.at(-1)!.startsWith('R c9 ')).toBe(true);
    expect(lines.every((l) => l.length < 4095)).toBe(true);
    const b64 = lines.map((l) => l.split(' ')[2]).join('');
    expect(Buffer.from(b64, 'base64').toString()).toBe(script);
  });

  test('refuses ids the guest would use unquoted in file names', () => {
    expect(() => encodeCommand('a b', 'true')).toThrow(/bad command id/);
  });

  test("the kernel's restart line is a reboot, also inside a frame; its power-off line is not", () => {
    const d = new ConsoleDecoder();
    expect(d.push('[    7.26] reboot: Power down\r\n').map((e) => e.kind)).toEqual([]);
    expect(d.push('[    7.26] reboot: Restarting system\r\n').map((e) => e.kind)).toEqual(['restart']);
    expect(d.push(`${MARK.begin} c3@@\r\nreboot: Restarting system\r\n`).map((e) => e.kind)).toEqual(['restart']);
  });
});

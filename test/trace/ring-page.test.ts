// The ring-page decoder on a page the kernel wrote (test/fixtures/ring-page, see capture.mjs there):
// every event's timestamp and fields must match what the kernel itself printed for them (trace.txt).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEventFormat, readField, requireField } from '../../src/trace/event-format.js';
import { decodePage, parsePageLayout } from '../../src/trace/ring-page.js';

const dir = new URL('../fixtures/ring-page/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, dir));

interface Printed {
  pid: number;
  cpu: number;
  /** µs as the kernel prints them (ns rounded to the nearest µs). */
  us: number;
  text: string;
}

/** The kernel's own text lines: `  node-1234  [001] .....  12345.678901: tracing_mark_write: MESSAGE`. */
function printed(): Printed[] {
  const out: Printed[] = [];
  for (const line of fixture('trace.txt').toString('utf8').split('\n')) {
    const m = /-(\d+)\s+\[(\d+)\]\s+\S+\s+(\d+)\.(\d{6}): tracing_mark_write: (.*)$/.exec(line);
    if (m) out.push({ pid: Number(m[1]), cpu: Number(m[2]), us: Number(m[3]) * 1e6 + Number(m[4]), text: m[5]! });
  }
  return out;
}

describe('ring-page decoder on a captured page', () => {
  const layout = parsePageLayout(fixture('header_page').toString('utf8'));
  const print = parseEventFormat('ftrace', 'print', fixture('print.format').toString('utf8'));
  const page = fixture('ring-page.bin');
  const view = new DataView(page.buffer, page.byteOffset, page.length);

  it('reads the page layout and the event format the kernel describes', () => {
    expect(layout.timestampOffset).toBe(0);
    expect(layout.commitOffset).toBe(8);
    expect(layout.dataOffset).toBe(16);
    expect(print.id).toBeGreaterThan(0);
    expect(print.fields.get('buf')).toBeDefined();
  });

  it("decodes every event with the kernel's timestamps and fields, across a 200 ms gap", () => {
    const kernel = printed();
    expect(kernel.map((p) => p.text)).toEqual(['nvprobe fixture 1', 'nvprobe fixture 2 after 200 ms', 'nvprobe fixture 3', 'nvprobe fixture 4']);
    const pid = requireField(print, 'common_pid', [4]);
    const buf = print.fields.get('buf')!;
    const decoded: Array<{ ts: number; pid: number; type: number; text: string }> = [];
    const r = decodePage(view, page.length, layout, (ts, at, len) => {
      const bytes = page.subarray(at + buf.offset, at + len);
      const end = bytes.indexOf(0);
      decoded.push({
        ts,
        pid: readField(view, at, pid),
        type: view.getUint16(at, true),
        text: bytes
          .subarray(0, end < 0 ? bytes.length : end)
          .toString('utf8')
          .replace(/\n$/, ''),
      });
    });
    expect(r).toEqual({ events: 4, missedBefore: false, missedCount: 0 });
    expect(decoded.map((d) => d.type)).toEqual([print.id, print.id, print.id, print.id]);
    expect(decoded.map((d) => d.text)).toEqual(kernel.map((p) => p.text));
    expect(decoded.map((d) => d.pid)).toEqual(kernel.map((p) => p.pid));
    // ns, exact: the kernel prints them rounded to the µs.
    expect(decoded.map((d) => Math.floor((d.ts + 500) / 1000))).toEqual(kernel.map((p) => p.us));
    // The 200 ms gap needs a time-extend record (deltas hold 27 bits: 134 ms); the first event's
    // time is the page header's plus its own delta.
    const gap = decoded[1]!.ts - decoded[0]!.ts;
    expect(gap).toBeGreaterThan(200e6);
    expect(gap).toBeLessThan(400e6);
    expect(decoded[2]!.ts - decoded[1]!.ts).toBeGreaterThan(2e6);
    expect(decoded[0]!.ts).toBeGreaterThanOrEqual(Number(view.getBigUint64(0, true)));
  });

  it('stops at the commit mark: a page cut after its first event yields that event only', () => {
    let firstEnd = 0;
    decodePage(view, page.length, layout, (_ts, at, len) => {
      if (firstEnd === 0) firstEnd = at + len;
    });
    const cut = Buffer.from(page);
    const cutView = new DataView(cut.buffer, cut.byteOffset, cut.length);
    cutView.setUint32(layout.commitOffset, firstEnd - layout.dataOffset, true);
    const seen: number[] = [];
    expect(decodePage(cutView, cut.length, layout, (ts) => seen.push(ts)).events).toBe(1);
    expect(seen.length).toBe(1);
  });
});

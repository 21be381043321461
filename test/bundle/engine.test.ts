import { describe, expect, it } from 'vitest';
import { runCollectors, type Collector } from '../../src/bundle/engine.js';
import { Redactor } from '../../src/bundle/redactor.js';

const base = { timeoutMs: 1000, maxItemBytes: 1000 };
const run = (collectors: Collector[], maxBundleBytes = 1 << 20) => runCollectors(collectors, { redactor: new Redactor(), say: () => {}, maxBundleBytes });

describe('collector engine', () => {
  it('records status, files, bytes and time for each collector, skipped ones included', async () => {
    const { entries, records } = await run([
      { ...base, name: 'a', gathers: 'two files', collect: async () => [{ kind: 'file', path: 'a/1', text: 'x'.repeat(10) }, { kind: 'link', path: 'a/l', target: '1' }] },
      { ...base, name: 'b', gathers: 'nothing', skip: '--no-b', collect: async () => { throw new Error('must not run'); } },
      { ...base, name: 'c', gathers: 'fails', collect: async () => { throw new Error('boom'); } },
      { ...base, name: 'd', gathers: 'not here', collect: async () => ({ items: [], skipped: 'nothing to read' }) },
    ]);
    expect(entries.map((e) => [e.kind, e.name])).toEqual([['file', 'a/1'], ['link', 'a/l']]);
    expect(records.map((r) => [r.name, r.status, r.reason, r.files, r.bytes])).toEqual([
      ['a', 'ok', null, 1, 10],
      ['b', 'skipped', '--no-b', 0, 0],
      ['c', 'failed', 'boom', 0, 0],
      ['d', 'skipped', 'nothing to read', 0, 0],
    ]);
  });

  it('stops waiting for a collector at its timeout and aborts its signal', async () => {
    let aborted = false;
    const t0 = performance.now();
    const { records } = await run([
      { ...base, timeoutMs: 150, name: 'slow', gathers: 'waits', collect: (ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => { aborted = true; setTimeout(() => resolve([]), 5000).unref(); })) },
    ]);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(records[0]).toMatchObject({ status: 'timeout', timedOut: true, reason: 'did not finish within 150 ms' });
    expect(aborted).toBe(true);
  });

  it('cuts a file at the per-item limit and stops at the whole-bundle limit, saying which', async () => {
    const { entries, records } = await run(
      [
        { ...base, name: 'big', gathers: 'one big file', collect: async () => [{ kind: 'file', path: 'big', text: 'y'.repeat(5000) }] },
        { ...base, name: 'more', gathers: 'more', collect: async () => [{ kind: 'file', path: 'm1', text: 'z'.repeat(900) }, { kind: 'file', path: 'm2', text: 'z'.repeat(900) }] },
      ],
      2000,
    );
    const big = entries.find((e) => e.name === 'big') as { data: Buffer };
    expect(big.data.length).toBe(1000);
    expect(big.data.toString()).toMatch(/\[nvprobe: truncated here\]\n$/);
    expect(records[0]!.truncated).toEqual(['big']);
    // 1000 used; m1 fits (900), m2 gets the 100 bytes left.
    expect(records[1]!.truncated).toEqual(['m2']);
    expect(entries.filter((e) => e.kind === 'file').reduce((a, e) => a + (e as { data: Buffer }).data.length, 0)).toBeLessThanOrEqual(2000);
  });

  it('redacts text items on the way in', async () => {
    const { entries } = await run([{ ...base, name: 'log', gathers: 'a log', collect: async () => [{ kind: 'file', path: 'log', text: 'eth0 10.1.2.3 up\n' }] }]);
    expect((entries[0] as { data: Buffer }).data.toString()).toBe('eth0 REDACTED-ipv4-1 up\n');
  });
});

import { describe, expect, it } from 'vitest';
import { runCollectors, type Collector } from '../../src/bundle/engine.js';
import { Redactor } from '../../src/bundle/redactor.js';

const base = { timeoutMs: 1000, maxItemBytes: 1000 };
const run = (collectors: Collector[], maxBundleBytes = 1 << 20) => runCollectors(collectors, { redactor: new Redactor(), say: () => {}, maxBundleBytes });

describe('collector engine', () => {
  it('records status, files, bytes and time for each collector, skipped ones included', async () => {
    const { entries, records } = await run([
      {
        ...base,
        name: 'a',
        gathers: 'two files',
        collect: async () => [
          { kind: 'file', path: 'a/1', text: 'x'.repeat(10) },
          { kind: 'link', path: 'a/l', target: '1' },
        ],
      },
      {
        ...base,
        name: 'b',
        gathers: 'nothing',
        skip: '--no-b',
        collect: async () => {
          throw new Error('must not run');
        },
      },
      {
        ...base,
        name: 'c',
        gathers: 'fails',
        collect: async () => {
          throw new Error('boom');
        },
      },
      { ...base, name: 'd', gathers: 'not here', collect: async () => ({ items: [], skipped: 'nothing to read' }) },
    ]);
    expect(entries.map((e) => [e.kind, e.name])).toEqual([
      ['file', 'a/1'],
      ['link', 'a/l'],
    ]);
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
      {
        ...base,
        timeoutMs: 150,
        name: 'slow',
        gathers: 'waits',
        collect: (ctx) =>
          new Promise((resolve) =>
            ctx.signal.addEventListener('abort', () => {
              aborted = true;
              setTimeout(() => resolve([]), 5000).unref();
            }),
          ),
      },
    ]);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(records[0]).toMatchObject({ status: 'timeout', timedOut: true, reason: 'did not finish within 150 ms' });
    expect(aborted).toBe(true);
  });

  it('cuts a file at the per-item limit and stops at the whole-bundle limit, saying which', async () => {
    const { entries, records } = await run(
      [
        { ...base, name: 'big', gathers: 'one big file', collect: async () => [{ kind: 'file', path: 'big', text: 'y'.repeat(5000) }] },
        {
          ...base,
          name: 'more',
          gathers: 'more',
          collect: async () => [
            { kind: 'file', path: 'm1', text: 'z'.repeat(900) },
            { kind: 'file', path: 'm2', text: 'z'.repeat(900) },
          ],
        },
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

  it('redacts every member the same way, JSON ones included (escaped values too), with one map', async () => {
    // Planted values: init's arguments with a quote and a backslash (escaped in JSON text), an
    // address and a host name, handed over as JSON text, JSON lines and plain text.
    const init = '--token "s3cr3t\\value" --peer 10.9.8.7';
    const cmdline = `root=UUID=0b3c1f6e-2d44-4a57-9c1e-5f6a7b8c9d0e quiet -- ${init}`;
    const redactor = new Redactor();
    redactor.addLiteral('hostname', 'guest-sevenfold');
    redactor.drop('init-args', init, 'REDACTED-init-args');
    const doc = { kernel: { cmdline: { raw: cmdline } }, host: 'guest-sevenfold', addr: '10.9.8.7', 'guest-sevenfold': 1, nested: [{ escaped: 'peer\u0020=10.9.8.7' }] };
    const { entries } = await runCollectors(
      [
        {
          ...base,
          maxItemBytes: 1 << 16,
          name: 'all',
          gathers: 'json, jsonl and text',
          collect: async () => [
            { kind: 'file', path: 'detect.json', text: `${JSON.stringify(doc, null, 2)}\n` },
            { kind: 'file', path: 'state/journal.jsonl', text: `${JSON.stringify({ t: 'run', command: cmdline })}\n${JSON.stringify({ t: 'end', host: 'GUEST-SEVENFOLD' })}\n` },
            { kind: 'file', path: 'kernel-log.txt', text: `Kernel command line: ${cmdline}\nhost guest-sevenfold at 10.9.8.7\n` },
          ],
        },
      ],
      { redactor, say: () => {}, maxBundleBytes: 1 << 20 },
    );
    const files = entries.filter((e): e is Extract<typeof e, { kind: 'file' }> => e.kind === 'file');
    expect(files).toHaveLength(3);
    for (const f of files) {
      const text = f.data.toString('utf8');
      for (const secret of ['s3cr3t', '10.9.8.7', 'guest-sevenfold', 'GUEST-SEVENFOLD', '0b3c1f6e', '--token', '--peer']) expect(text, `${secret} in ${f.name}`).not.toContain(secret);
    }
    const detect = JSON.parse(files[0]!.data.toString('utf8'));
    expect(detect).toEqual({
      kernel: { cmdline: { raw: 'root=UUID=REDACTED-uuid-1 quiet -- REDACTED-init-args' } },
      host: 'REDACTED-hostname-1',
      addr: 'REDACTED-ipv4-1',
      'REDACTED-hostname-1': 1,
      nested: [{ escaped: 'peer =REDACTED-ipv4-1' }],
    });
    const lines = files[1]!.data.toString('utf8').split('\n');
    expect(lines.map((l) => (l ? JSON.parse(l) : l))).toEqual([{ t: 'run', command: 'root=UUID=REDACTED-uuid-1 quiet -- REDACTED-init-args' }, { t: 'end', host: 'REDACTED-hostname-1' }, '']);
    expect(files[2]!.data.toString('utf8')).toBe('Kernel command line: root=UUID=REDACTED-uuid-1 quiet -- REDACTED-init-args\nhost REDACTED-hostname-1 at REDACTED-ipv4-1\n');
    // Dropped values are not in the map; mapped ones have one token each.
    expect(redactor.map().map((e) => [e.token, e.value])).toEqual([
      ['REDACTED-uuid-1', '0b3c1f6e-2d44-4a57-9c1e-5f6a7b8c9d0e'],
      ['REDACTED-hostname-1', 'guest-sevenfold'],
      ['REDACTED-ipv4-1', '10.9.8.7'],
    ]);
  });

  it('keeps a "__proto__" key of a JSON member as plain data', async () => {
    const { entries } = await run([{ ...base, name: 'j', gathers: 'json', collect: async () => [{ kind: 'file', path: 'x.json', text: '{"__proto__":{"polluted":"10.1.2.3"},"a":1}' }] }]);
    const out = JSON.parse((entries[0] as { data: Buffer }).data.toString());
    expect(Object.keys(out)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')!.value).toEqual({ polluted: 'REDACTED-ipv4-1' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

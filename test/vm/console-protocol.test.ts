import { readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bootGuest, type Guest } from './lab/guest.js';

// The lab's own plumbing (serial framing, uploads, fetches, timeouts), on one guest.
describe('lab console protocol', () => {
  let guest: Guest;
  beforeAll(async () => {
    guest = await bootGuest();
  });
  afterAll(async () => {
    await guest?.shutdown();
  });

  test('exit codes, stderr and binary stdout arrive intact', async () => {
    expect(await guest.run('echo out; echo err >&2; exit 7')).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 7 });
    const bytes = await guest.runBytes(`printf '\\000\\377\\n@@NVP-END c1 rc=0 out=0 err=0@@'`);
    expect([...bytes.stdout.subarray(0, 3)]).toEqual([0, 255, 10]);
    expect(bytes.stdout.subarray(3).toString()).toBe('@@NVP-END c1 rc=0 out=0 err=0@@');
  });

  test('a script larger than one console line is uploaded in chunks', async () => {
    const payload = 'x'.repeat(20_000);
    expect(await guest.run(`s='${payload}'; echo \${#s}`)).toMatchObject({ stdout: '20000\n', exitCode: 0 });
  });

  test('a directory a command wrote is fetched with contents and symlinks', async () => {
    const wrote = await guest.run(
      "mkdir -p /tmp/out/sub && echo hello > /tmp/out/sub/file && ln -s sub/file /tmp/out/link && node -e \"require('fs').writeFileSync('/tmp/out/n.json', JSON.stringify({ok: 1}))\"",
    );
    expect(wrote.exitCode, wrote.stderr).toBe(0);
    const dir = await guest.fetchDir('/tmp/out');
    try {
      expect(readFileSync(join(dir, 'sub/file'), 'utf8')).toBe('hello\n');
      expect(readlinkSync(join(dir, 'link'))).toBe('sub/file');
      expect(JSON.parse(readFileSync(join(dir, 'n.json'), 'utf8'))).toEqual({ ok: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a command that overruns its timeout ends the guest', async () => {
    await expect(guest.run('sleep 30', { timeoutMs: 1_000 })).rejects.toThrow(/timed out after 1000 ms/);
    await expect(guest.run('true')).rejects.toThrow(/not running/);
  });
});

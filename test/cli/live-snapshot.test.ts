import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/contracts/detect-document.js';
import { runCli } from '../helpers/cli.js';
import { makeTemp, removeTemp } from '../helpers/fixtures.js';
import { stableView } from '../helpers/normalise.js';

const temp = makeTemp();
afterAll(() => removeTemp(temp));

async function detect(args: string[]): Promise<Snapshot> {
  const r = await runCli(['detect', '--json', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Snapshot;
}

// This machine is the subject: snapshot it, then read the copy as an unprivileged tool would.
describe('live system vs its snapshot', () => {
  it('detect --root SNAPSHOT equals live detect, counters and redactions aside', async () => {
    const before = await detect([]);
    const dir = join(temp, 'live');
    const snap = await runCli(['snapshot', dir]);
    expect(snap.code).toBe(0);
    const captured = await detect(['--root', dir]);
    const after = await detect([]);
    // A shared machine may change a setting between two reads; the copy must match one of them.
    const matches = [before, after].some((live) => JSON.stringify(stableView(live)) === JSON.stringify(stableView(captured)));
    if (!matches) expect(stableView(captured)).toEqual(stableView(after));
    // Identifiers are replaced, not dropped: the fields stableView sets aside really differ.
    const disk = before.rootFs!.disk!;
    const liveSerial = before.disks.find((d) => d.name === disk)!.ids.serial;
    const copySerial = captured.disks.find((d) => d.name === disk)!.ids.serial;
    if (liveSerial === null) expect(copySerial).toBeNull();
    else expect(copySerial).toMatch(/^REDACTED-serial-\d+$/);
  });

  it('the copy keeps the disk chain as a relative link', async () => {
    const root = (await detect([])).rootFs!;
    expect(root.disk).not.toBeNull();
    expect(readlinkSync(join(temp, 'live', 'sys/block', root.disk!))).toMatch(/^\.\.\/devices\//);
  });
});

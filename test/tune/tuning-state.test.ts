// `status` and the Prometheus metrics read the tuning state with one reader: an armed verification
// owes a reboot only until the machine reboots, and both say so. The reboot is simulated the way
// `verify` tells it: the record's boot id against this boot's.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PENDING_VERIFY, pendingRecord, writeState } from '../../src/tune/pending-verify.js';
import { runCli } from '../helpers/cli.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';

let tmp: ReturnType<typeof diskTempDir>;
let target: string;
beforeAll(() => {
  tmp = diskTempDir('nvprobe-tuning-state-');
  target = join(tmp.dir, 'target');
  writeOffsetFile(target, 1024);
});
afterAll(() => tmp.remove());

function thisBoot(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** A state dir holding only a verification armed in the boot `bootId` names, boot counter 0. */
function armedIn(name: string, bootId: string): string {
  const dir = join(tmp.dir, name);
  mkdirSync(dir, { mode: 0o700 });
  const record = pendingRecord({
    run: `run-${name}`,
    rebootOnly: [{ kind: 'kernel-cmdline', target: 'cmdline:nvme.poll_queues', param: 'nvme.poll_queues', value: 1, runtime: false, reboot: true }],
    expects: [],
    reboot: false,
    settings: { target: null, engine: 'psync2', blockSize: 4096, spanBytes: 1 << 20, roundMs: 80 },
    baselineRoundsP50Us: [50, 51, 52],
    kernelClock: null,
    bootId,
  });
  writeState(dir, PENDING_VERIFY, record);
  return dir;
}

/** The tuning-state gauges of a short probe's textfile output. */
async function gauges(dir: string): Promise<(name: string) => number | undefined> {
  const r = await runCli(['probe', target, '--ios', '200', '--ramp', '0', '--no-trace', '--format', 'prometheus', '--state-dir', dir]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const families = parsePrometheusText(r.stdout);
  return (name) => families.get(name)?.samples[0]?.value;
}

describe('the tuning state: status and the metrics agree on the reboot owed', () => {
  const cases: Array<[string, (boot: string) => string, boolean]> = [
    ['armed in this boot: both say a reboot is required', (boot) => boot, true],
    ['armed in an earlier boot (rebooted since, verify not run yet): neither says a reboot is required', () => randomUUID(), false],
  ];
  for (const [what, bootOf, required] of cases) {
    it(what, async (ctx) => {
      const boot = thisBoot();
      if (boot === null) ctx.skip('this kernel shows no boot id (/proc/sys/kernel/random/boot_id)');
      const dir = armedIn(required ? 'same-boot' : 'rebooted', bootOf(boot!));

      const status = await runCli(['status', '--json', '--state-dir', dir]);
      expect(status.stderr).toBe('');
      expect(status.code).toBe(required ? 7 : 0);
      expect(JSON.parse(status.stdout).pending).toMatchObject({ verificationArmed: true, rebootRequired: required, boots: 0 });

      const gauge = await gauges(dir);
      expect(gauge('nvprobe_tune_verification_pending')).toBe(1);
      expect(gauge('nvprobe_tune_reboot_required')).toBe(required ? 1 : 0);
    }, 60_000);
  }
});

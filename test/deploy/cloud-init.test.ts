import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { trackTempDir } from '../vm/lab/live-processes.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { DebianGuest } from './lab/debian-guest.js';
import { allowEmulatedWatch, consumedLine } from './lab/guest-nvprobe.js';
import { nvprobeDeb } from './lab/package-file.js';
import { noCloudSeed, OneFileServer } from './lab/seed.js';

// packaging/cloud-init/nvprobe.cloud-config.yaml as a user deploys it: the four lines it tells
// them to fill in, filled in, on a NoCloud seed; first boot installs the .deb from its URL (here
// the host, reached through qemu's guestfwd: the guest has no other network), tunes with
// --persist --reboot and reboots; the next boot's nvprobe-verify.service gives the verdict; the
// watch timer it enabled runs its probe into the textfile.
const CONFIG = readFileSync(new URL('../../packaging/cloud-init/nvprobe.cloud-config.yaml', import.meta.url), 'utf8');
const TEXTFILE_DIR = '/var/lib/prometheus/node-exporter';
let guest: DebianGuest;
let server: OneFileServer;
let deb: string;

/** Replace the one line that starts with `prefix` (after indentation); fail when it is not there exactly once. */
function fillIn(text: string, prefix: string, line: string): string {
  const re = new RegExp(`^(\\s*)${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*$`, 'gm');
  const hits = text.match(re) ?? [];
  if (hits.length !== 1) throw new Error(`the cloud-config has ${hits.length} lines starting with ${prefix}`);
  return text.replace(re, `$1${line}`);
}

beforeAll(async () => {
  deb = await nvprobeDeb();
  server = await OneFileServer.start(deb);
  const dir = mkdtempSync(join(tmpdir(), 'nvprobe-seed-'));
  trackTempDir(dir);
  let userData = fillIn(CONFIG, 'NVPROBE_DEB=', `NVPROBE_DEB=http://10.0.2.100/${basename(deb)}`);
  userData = fillIn(userData, 'NVPROBE_PERSIST=', 'NVPROBE_PERSIST="--persist --reboot"');
  userData = fillIn(userData, 'NVPROBE_TEXTFILE_DIR=', `NVPROBE_TEXTFILE_DIR=${TEXTFILE_DIR}`);
  userData = fillIn(userData, 'NVPROBE_WATCH=', 'NVPROBE_WATCH=1');
  const seed = await noCloudSeed(dir, userData, 'nvprobe-ci-1');
  guest = await DebianGuest.boot('cloud-init', { seedIso: seed, httpPort: server.port });
});
afterAll(async () => {
  await guest?.shutdown();
  await server?.close();
});

describe('the cloud-config on a NoCloud first boot', () => {
  test('first boot installs and tunes with --persist --reboot; the next boot verifies; systemd, the journal and nvprobe status agree', async () => {
    // Wait across the reboot(s) for a boot with a verdict and nothing armed.
    const deadline = Date.now() + 900_000;
    let status: { pending: unknown; lastVerdict: { verdict: string; run: string; rebooting: boolean } | null } | undefined;
    let verdictBoot = '';
    for (;;) {
      const r = await guest.ssh('cat /proc/sys/kernel/random/boot_id; nvprobe status --json 2>/dev/null', { timeoutMs: 60_000 });
      const [bootId, ...json] = r.stdout.split('\n');
      if (json.join('\n').trim().startsWith('{')) {
        status = JSON.parse(json.join('\n'));
        verdictBoot = bootId!.trim();
        if (status?.lastVerdict && !status.pending) break;
      }
      if (Date.now() > deadline) throw new Error(`no verdict within 15 min\n${guest.consoleTail()}`);
      await new Promise((res) => setTimeout(res, 5000));
    }
    const verdict = status!.lastVerdict!;
    // A verification that reverted (the measurement decides which) reboots once more to the original
    // command line: wait for that boot; the verdict's journal is then the previous boot's.
    if (verdict.rebooting) await guest.waitForSsh(verdictBoot);
    const verdictJournal = verdict.rebooting ? '-b -1' : '-b';
    await guest.waitBootFinished();
    expect(server.downloads).toBe(1);
    // The cloud-config's promise: the first boot, the verifying boot, and one more only when the
    // verification reverted (back to the original command line). A guest kernel fault shows here too.
    const boots = Number((await guest.run('journalctl --list-boots --no-pager | tail -n +2 | wc -l')).trim());
    expect(boots, `boots: ${await guest.run('journalctl --list-boots --no-pager')}\nkernel faults: ${guest.kernelFaults().join('\n') || 'none'}`).toBe(verdict.rebooting ? 3 : 2);
    const output = await guest.run('cat /var/log/cloud-init-output.log');
    expect(output).toContain('== nvprobe check');
    expect(output).toContain('== nvprobe tune');
    expect(output).toMatch(/nvprobe tune exit status \d+/);
    // systemd: the verify unit ran and succeeded this boot, then the boot-time tune (enabled by the config).
    expect(await guest.run('systemctl show -p Result -p ActiveState nvprobe-verify.service')).toMatch(/Result=success/);
    // The verdict's run id is unique: look for it in every boot's journal of the unit, so that the
    // check does not hang on which boot it was; on a miss, say which boots there were and where the
    // units ran (an unexpected extra boot shows here).
    const journal = await guest.run('journalctl -u nvprobe-verify.service -o cat --no-pager');
    const where = async () =>
      `${await guest.run('journalctl --list-boots --no-pager')}\n${await guest.run('journalctl -u nvprobe-verify.service -u nvprobe-tune.service -u cloud-final.service -o short-monotonic --no-pager | tail -60')}`;
    if (!journal.includes(`"verdict": "${verdict.verdict}"`)) expect.fail(`verdict ${verdict.verdict} (rebooting ${verdict.rebooting}) not in the unit's journal\n${await where()}`);
    if (!(await guest.run(`journalctl ${verdictJournal} -u nvprobe-verify.service -o cat --no-pager`)).includes(verdict.run))
      console.log(`the verdict is not in journalctl ${verdictJournal}: boots and units:\n${await where()}`);
    expect(journal).toContain(verdict.run);
    expect(await guest.run('systemctl is-enabled nvprobe-tune.service nvprobe-verify.service')).toBe('enabled\nenabled\n');
    const tuneUnit = await guest.run('systemctl show -p Result -p ActiveState nvprobe-tune.service');
    expect(tuneUnit, await guest.run('journalctl -b -u nvprobe-tune.service -o cat --no-pager | tail -20')).toMatch(/Result=success/);
    expect(await guest.run('systemctl status --no-pager nvprobe-verify.service || true')).toContain('nvprobe-verify.service');
    // Prometheus: the units wrote the textfile where /etc/default/nvprobe says.
    const prom = await guest.run(`cat ${TEXTFILE_DIR}/nvprobe.prom`);
    expect(prom).toMatch(/^nvprobe_/m);
    console.log(`cloud-init first boot: verdict ${verdict.verdict} (run ${verdict.run})\n${(await guest.ssh('nvprobe status')).stdout}`);
  });

  test('NVPROBE_WATCH=1: the timer is enabled and running, and systemd runs the watch from it: the textfile with the guest/host split and the tuning state', async () => {
    expect(await guest.run('systemctl is-enabled nvprobe-watch.timer; systemctl is-active nvprobe-watch.timer')).toBe('enabled\nactive\n');
    // Its next elapse is within the period plus the per-machine delay (5 + 4 min).
    const next = Number(await guest.run('systemctl show -p NextElapseUSecRealtime --value nvprobe-watch.timer | xargs -I{} date -d {} +%s'));
    const now = Number(await guest.run('date +%s'));
    expect(next - now).toBeGreaterThan(0);
    expect(next - now).toBeLessThanOrEqual(9 * 60 + 5);
    // Rather than wait for it: a drop-in makes the same timer elapse 5 s after it restarts (no random
    // delay), and the lab widens the service's CPU and wall caps for its emulated CPU.
    await allowEmulatedWatch(guest);
    await guest.run(
      'mkdir -p /etc/systemd/system/nvprobe-watch.timer.d && printf "[Timer]\nOnActiveSec=5s\nRandomizedDelaySec=0\n" > /etc/systemd/system/nvprobe-watch.timer.d/lab-soon.conf && systemctl daemon-reload',
    );
    const since = Number(await guest.run('date +%s'));
    await guest.run('systemctl restart nvprobe-watch.timer');
    const deadline = Date.now() + 600_000;
    for (;;) {
      const done = await guest.run(`journalctl -u nvprobe-watch.service --since @${since} -o cat --no-pager | grep -E 'Deactivated successfully|Failed with result' || true`);
      if (done.trim()) {
        expect(done, await guest.run(`journalctl -u nvprobe-watch.service --since @${since} -o cat --no-pager | tail -20`)).toContain('Deactivated successfully');
        break;
      }
      if (Date.now() > deadline)
        throw new Error(
          `the timer did not run nvprobe-watch.service within 10 min\n${await guest.run('systemctl list-timers --all --no-pager; systemctl status --no-pager nvprobe-watch.timer nvprobe-watch.service || true')}`,
        );
      await new Promise((res) => setTimeout(res, 5000));
    }
    // The timer started it (its last trigger is after the restart), and it succeeded.
    const trigger = await guest.run('systemctl show -p LastTriggerUSec --value nvprobe-watch.timer | xargs -I{} date -d {} +%s');
    expect(Number(trigger)).toBeGreaterThanOrEqual(since);
    expect(await guest.run('systemctl show -p Result nvprobe-watch.service')).toBe('Result=success\n');
    const fams = parsePrometheusText(await guest.run(`cat ${TEXTFILE_DIR}/nvprobe.prom`));
    expect(fams.get('nvprobe_probe_timestamp_seconds')!.samples[0]!.value).toBeGreaterThanOrEqual(since);
    for (const f of ['nvprobe_read_phase_latency_seconds', 'nvprobe_read_guest_side_latency_seconds', 'nvprobe_read_host_side_latency_seconds']) expect(fams.has(f), f).toBe(true);
    // The drift alert's family, from the state this boot's units left.
    expect(fams.get('nvprobe_tune_changes')!.samples.map((x) => x.labels.state)).toEqual(['applied', 'drifted', 'unknown']);
    console.log(`nvprobe-watch.service from the timer: ${await consumedLine(guest, 'nvprobe-watch.service')}`);
  });
});

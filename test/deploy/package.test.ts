import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { DebianGuest } from './lab/debian-guest.js';
import { allowEmulatedWatch, consumedLine } from './lab/guest-nvprobe.js';
import { nvprobeDeb } from './lab/package-file.js';

// The .deb in a real Debian 13 guest with no network: installed, used and removed with apt, as
// README's Install section says; then the shipped units as systemd itself reads them.
const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string;
let guest: DebianGuest;
let deb: string;

beforeAll(async () => {
  deb = await nvprobeDeb();
  guest = await DebianGuest.boot('package');
});
afterAll(async () => {
  await guest?.shutdown();
});

describe('the .deb in a Debian 13 guest (offline)', () => {
  test('apt install ./nvprobe_*.deb: the command, the man page, the units and the watch timer shipped disabled', async () => {
    await guest.copyTo(deb, `/root/${basename(deb)}`);
    expect(await guest.run('ip route get 1.1.1.1 2>&1; getent hosts deb.debian.org || echo no-dns')).toContain('no-dns');
    const install = await guest.ssh(`DEBIAN_FRONTEND=noninteractive apt-get install -y /root/${basename(deb)}`);
    expect(install.code, install.stdout + install.stderr).toBe(0);
    expect((await guest.run('nvprobe --version')).trim()).toBe(version);
    expect(await guest.run('man -w nvprobe')).toMatch(/nvprobe\.1/);
    expect(await guest.run('MANWIDTH=80 man nvprobe 2>/dev/null | head -20')).toMatch(/nvprobe/i);
    const enabled = await guest.ssh('systemctl is-enabled nvprobe-tune.service nvprobe-verify.service nvprobe-watch.timer nvprobe-watch.service');
    // The watch service has no [Install]: only its timer starts it.
    expect(enabled.stdout.trim().split('\n')).toEqual(['disabled', 'disabled', 'disabled', 'static']);
    expect((await guest.ssh('systemctl is-active nvprobe-watch.timer')).stdout.trim()).toBe('inactive');
    // Installing tuned nothing: no journal, no runs.
    expect((await guest.run('ls -A /var/lib/nvprobe 2>/dev/null | wc -l')).trim()).toBe('0');
  });

  test('systemd-analyze verify passes on the units and the watch timer; security exposure as README records it', async () => {
    for (const unit of ['nvprobe-tune.service', 'nvprobe-verify.service', 'nvprobe-watch.timer', 'nvprobe-watch.service']) {
      const v = await guest.ssh(`systemd-analyze verify /usr/lib/systemd/system/${unit}`);
      expect(v.code, v.stderr).toBe(0);
      expect(v.stderr.trim(), `${unit}: ${v.stderr}`).toBe('');
    }
    const score = async (unit: string) => {
      const out = await guest.run(`systemd-analyze security --no-pager ${unit} | tail -1`);
      const m = /exposure level for \S+: (\d+\.\d+) (\S+)/.exec(out);
      if (!m) throw new Error(`no exposure level in: ${out}`);
      return { exposure: Number(m[1]), rating: m[2] };
    };
    const tune = await score('nvprobe-tune.service');
    const verify = await score('nvprobe-verify.service');
    const watch = await score('nvprobe-watch.service');
    console.log(
      `systemd-analyze security: nvprobe-tune.service ${tune.exposure} ${tune.rating}, nvprobe-verify.service ${verify.exposure} ${verify.rating}, nvprobe-watch.service ${watch.exposure} ${watch.rating}`,
    );
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`\`nvprobe-tune.service\`: ${tune.exposure.toFixed(1)} ${tune.rating}`);
    expect(readme).toContain(`\`nvprobe-verify.service\`: ${verify.exposure.toFixed(1)} ${verify.rating}`);
    expect(readme).toContain(`\`nvprobe-watch.service\`: ${watch.exposure.toFixed(1)} ${watch.rating}`);
  });

  test('nvprobe-watch.service run by systemd: status 78 without a textfile directory; with one, the textfile with the guest/host split and the tuning state, within its budget', async () => {
    // Without NVPROBE_TEXTFILE_DIR: fails, and says what to set.
    const bare = await guest.ssh('systemctl start nvprobe-watch.service');
    expect(bare.code).not.toBe(0);
    expect(await guest.run('systemctl show -p ExecMainStatus -p Result nvprobe-watch.service')).toMatch(/ExecMainStatus=78\nResult=exit-code|Result=exit-code\nExecMainStatus=78/);
    expect(await guest.run('journalctl -u nvprobe-watch.service -o cat --no-pager')).toContain('NVPROBE_TEXTFILE_DIR is not set in /etc/default/nvprobe');
    // The budget as systemd applies it (the caps as shipped, before the lab widens them).
    const props = await guest.run('systemctl show -p CPUWeight -p IOWeight -p MemoryMax -p LimitCPU -p TimeoutStartUSec nvprobe-watch.service');
    expect(props).toContain('CPUWeight=20\n');
    expect(props).toContain('IOWeight=20\n');
    expect(props).toContain(`MemoryMax=${256 * 2 ** 20}\n`);
    expect(props).toContain('LimitCPU=20\n');
    expect(props).toContain('TimeoutStartUSec=1min\n');
    await allowEmulatedWatch(guest);
    // Debian's node-exporter directory, and a state dir (as tune leaves it) for the tuning state.
    await guest.run('mkdir -p /var/lib/prometheus/node-exporter /var/lib/nvprobe && chmod 0700 /var/lib/nvprobe && echo NVPROBE_TEXTFILE_DIR=/var/lib/prometheus/node-exporter > /etc/default/nvprobe');
    const started = Date.now();
    const run = await guest.ssh('systemctl start nvprobe-watch.service', { timeoutMs: 660_000 });
    const wallS = (Date.now() - started) / 1000;
    expect(run.code, `${run.stderr}\n${await guest.run('journalctl -u nvprobe-watch.service -o cat --no-pager | tail -20')}`).toBe(0);
    expect(await guest.run('systemctl show -p Result nvprobe-watch.service')).toBe('Result=success\n');
    const fams = parsePrometheusText(await guest.run('cat /var/lib/prometheus/node-exporter/nvprobe.prom'));
    // The kernel clock ran inside the sandbox (tracefs, the disk): the phases and both sides.
    expect(fams.get('nvprobe_read_latency_clock_info')!.samples[0]!.labels).toMatchObject({ clock: 'native', device: 'vda' });
    const p50 = (family: string, extra: Record<string, string> = {}) =>
      fams.get(family)!.samples.find((x) => x.labels.quantile === '0.5' && Object.entries(extra).every(([k, v]) => x.labels[k] === v))!.value;
    expect(p50('nvprobe_read_host_side_latency_seconds')).toBe(p50('nvprobe_read_phase_latency_seconds', { phase: 'device' }));
    expect(p50('nvprobe_read_guest_side_latency_seconds')).toBeGreaterThan(0);
    const reads = fams.get('nvprobe_read_latency_calibrated_seconds')!.samples.find((x) => x.name.endsWith('_count'))!.value;
    expect(reads).toBeLessThanOrEqual(2000);
    expect(fams.get('nvprobe_tune_changes')!.samples.find((x) => x.labels.state === 'drifted')!.value).toBe(0);
    // The state dir stayed read-only to it: no scratch file, nothing written there.
    expect(await guest.run('ls -A /var/lib/nvprobe')).toBe('');
    console.log(`nvprobe-watch.service under TCG: ${wallS.toFixed(1)} s wall, ${reads} reads; ${await consumedLine(guest, 'nvprobe-watch.service')}`);
    // The timer, enabled and started as README says: scheduled, and `apt remove` below must stop it.
    await guest.run('systemctl enable --now nvprobe-watch.timer');
    expect(await guest.run('systemctl is-enabled nvprobe-watch.timer; systemctl is-active nvprobe-watch.timer')).toBe('enabled\nactive\n');
    expect(await guest.run('systemctl show -p NextElapseUSecRealtime --value nvprobe-watch.timer')).toMatch(/\d/);
    await guest.run('rm -r /etc/systemd/system/nvprobe-watch.service.d /etc/default/nvprobe && systemctl daemon-reload');
  });

  test('apt remove keeps the journal and says how to revert; apt purge leaves nothing of nvprobe', async () => {
    // A tune run with a journal, so that remove has something to keep (runtime only: nothing persisted).
    await guest.ssh('nvprobe tune --yes --budget 20s --json > /dev/null');
    await guest.run('mkdir -p /etc/nvprobe/rules.d');
    const hadJournal = (await guest.run('test -s /var/lib/nvprobe/journal.jsonl && echo yes || echo no')).trim();
    const remove = await guest.ssh('DEBIAN_FRONTEND=noninteractive apt-get remove -y nvprobe');
    expect(remove.code, remove.stderr).toBe(0);
    if (hadJournal === 'yes') expect(remove.stdout + remove.stderr).toContain('nvprobe revert --all');
    expect((await guest.ssh('command -v nvprobe')).code).not.toBe(0);
    // The watch timer enabled above: disabled and stopped by remove, so it starts no probe any more.
    expect((await guest.ssh('systemctl is-active nvprobe-watch.timer')).stdout.trim()).toBe('inactive');
    expect((await guest.run('ls /etc/systemd/system/timers.target.wants | grep nvprobe || true')).trim()).toBe('');
    expect((await guest.ssh('test -d /var/lib/nvprobe')).code).toBe(0);
    expect((await guest.run("dpkg-query -W -f='${db:Status-Abbrev}' nvprobe")).trim()).toBe('rc');
    const purge = await guest.ssh('DEBIAN_FRONTEND=noninteractive apt-get purge -y nvprobe');
    expect(purge.code, purge.stderr).toBe(0);
    expect(await guest.run('ls -d /var/lib/nvprobe /etc/nvprobe /usr/lib/nvprobe /usr/share/nvprobe 2>/dev/null; dpkg-query -W nvprobe 2>&1 || true')).toMatch(/no packages found/);
    expect(await guest.run('ls /usr/lib/systemd/system /etc/systemd/system/multi-user.target.wants /etc/systemd/system/timers.target.wants | grep nvprobe || true')).toBe('');
  });
});

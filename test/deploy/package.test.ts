import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DebianGuest } from './lab/debian-guest.js';
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
  test('apt install ./nvprobe_*.deb: the command, the man page, both units shipped disabled', async () => {
    await guest.copyTo(deb, `/root/${basename(deb)}`);
    expect(await guest.run('ip route get 1.1.1.1 2>&1; getent hosts deb.debian.org || echo no-dns')).toContain('no-dns');
    const install = await guest.ssh(`DEBIAN_FRONTEND=noninteractive apt-get install -y /root/${basename(deb)}`);
    expect(install.code, install.stdout + install.stderr).toBe(0);
    expect((await guest.run('nvprobe --version')).trim()).toBe(version);
    expect(await guest.run('man -w nvprobe')).toMatch(/nvprobe\.1/);
    expect(await guest.run('MANWIDTH=80 man nvprobe 2>/dev/null | head -20')).toMatch(/nvprobe/i);
    const enabled = await guest.ssh('systemctl is-enabled nvprobe-tune.service nvprobe-verify.service');
    expect(enabled.stdout.trim().split('\n')).toEqual(['disabled', 'disabled']);
    // Installing tuned nothing: no journal, no runs.
    expect((await guest.run('ls -A /var/lib/nvprobe 2>/dev/null | wc -l')).trim()).toBe('0');
  });

  test('systemd-analyze verify passes on both units; security exposure as README records it', async () => {
    for (const unit of ['nvprobe-tune.service', 'nvprobe-verify.service']) {
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
    console.log(`systemd-analyze security: nvprobe-tune.service ${tune.exposure} ${tune.rating}, nvprobe-verify.service ${verify.exposure} ${verify.rating}`);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`\`nvprobe-tune.service\`: ${tune.exposure.toFixed(1)} ${tune.rating}`);
    expect(readme).toContain(`\`nvprobe-verify.service\`: ${verify.exposure.toFixed(1)} ${verify.rating}`);
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
    expect((await guest.ssh('test -d /var/lib/nvprobe')).code).toBe(0);
    expect((await guest.run("dpkg-query -W -f='${db:Status-Abbrev}' nvprobe")).trim()).toBe('rc');
    const purge = await guest.ssh('DEBIAN_FRONTEND=noninteractive apt-get purge -y nvprobe');
    expect(purge.code, purge.stderr).toBe(0);
    expect(await guest.run('ls -d /var/lib/nvprobe /etc/nvprobe /usr/lib/nvprobe /usr/share/nvprobe 2>/dev/null; dpkg-query -W nvprobe 2>&1 || true')).toMatch(/no packages found/);
    expect(await guest.run('ls /usr/lib/systemd/system /etc/systemd/system/multi-user.target.wants | grep nvprobe || true')).toBe('');
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CliResult, runCommand } from '../helpers/cli.js';
import { trackTempDir } from '../vm/lab/live-processes.js';
import { DebianGuest } from './lab/debian-guest.js';
import { persistedFileHashes } from './lab/guest-nvprobe.js';
import { nvprobeDeb } from './lab/package-file.js';

// packaging/ansible/site.yml as an operator runs it: over ssh against an inventory of two fresh
// Debian 13 guests (ssh on 127.0.0.1 ports), check mode first, then for real (install, tune,
// persist, reboot, wait for the boot-time verdict, the watch timer on), again
// (idempotent), and revert (the files nvprobe persisted to, byte for byte as before the first run;
// the watch timer off).
const SITE = fileURLToPath(new URL('../../packaging/ansible/site.yml', import.meta.url));
const guests: DebianGuest[] = [];
let inventory: string;
let deb: string;
const before = new Map<string, string>();
/** The watch timer on, writing to Debian's node-exporter directory (the role names it in /etc/default/nvprobe). */
const WATCH_ON = ['-e', 'nvprobe_watch=true', '-e', 'nvprobe_textfile_dir=/var/lib/prometheus/node-exporter'];

beforeAll(async () => {
  deb = await nvprobeDeb();
  // One after the other: two TCG boots at once on two cores take longer than in turn. Two vCPUs
  // each: virtio_blk keeps one of vda's queues for interrupts, so a poll queue needs two.
  for (const name of ['fleet1', 'fleet2']) guests.push(await DebianGuest.boot(name, { memoryMiB: 1024 }));
  const dir = mkdtempSync(join(tmpdir(), 'nvprobe-ansible-'));
  trackTempDir(dir);
  inventory = join(dir, 'inventory.ini');
  // Keepalives: a guest that vanishes (a reboot nobody asked for) fails its task within two
  // minutes instead of leaving ssh waiting on a forwarded connection that never closes.
  const ssh = '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ServerAliveInterval=15 -o ServerAliveCountMax=8';
  writeFileSync(
    inventory,
    `[guests]\n${guests.map((g) => `${g.name} ansible_host=127.0.0.1 ansible_port=${g.sshPort} ansible_user=root ansible_ssh_private_key_file=${g.image.sshKey} ansible_ssh_common_args='${ssh}' ansible_python_interpreter=/usr/bin/python3`).join('\n')}\n`,
  );
  for (const g of guests) before.set(g.name, await persistedFileHashes(g));
});
afterAll(async () => {
  for (const g of guests) await g.shutdown();
});

function playbook(args: string[]): Promise<CliResult> {
  return runCommand('ansible-playbook', ['-i', inventory, SITE, ...args], {
    env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0', ANSIBLE_RETRY_FILES_ENABLED: '0', ANSIBLE_STDOUT_CALLBACK: 'default' },
    timeout: 1_500_000,
  });
}

/** PLAY RECAP's counters per host. */
function recap(out: string): Map<string, Record<string, number>> {
  const hosts = new Map<string, Record<string, number>>();
  for (const m of out.matchAll(/^(\S+)\s+:\s+(ok=.*)$/gm)) {
    const counts: Record<string, number> = {};
    for (const kv of m[2]!.matchAll(/(\w+)=(\d+)/g)) counts[kv[1]!] = Number(kv[2]);
    const prev = hosts.get(m[1]!);
    hosts.set(m[1]!, prev ? Object.fromEntries(Object.keys(counts).map((k) => [k, (prev[k] ?? 0) + counts[k]!])) : counts);
  }
  return hosts;
}

describe('the Ansible role over ssh, two Debian 13 guests', () => {
  test('check mode on fresh guests passes, says what a real run would do, and changes nothing', async () => {
    const r = await playbook(['--check', '-e', `nvprobe_package=${deb}`, '-e', 'nvprobe_serial=1']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('check mode: nvprobe is not installed on this host yet; a real run installs');
    // serial: 1 → one batch per guest, in turn (the real run below takes both in one batch).
    const batches = r.stdout.split(/^PLAY \[/m).slice(1);
    expect(batches).toHaveLength(2);
    for (const [i, g] of guests.entries()) {
      expect(batches[i]).toContain(`[${g.name}]`);
      expect(batches[i]).not.toContain(`[${guests[1 - i]!.name}]`);
    }
    for (const g of guests) {
      expect(recap(r.stdout).get(g.name)?.failed).toBe(0);
      expect((await g.ssh('dpkg-query -W nvprobe')).code).not.toBe(0);
      expect(await g.run('test -e /tmp/nvprobe_0.1.0_amd64.deb && echo copied || echo none; ls -A /var/lib/nvprobe 2>/dev/null | wc -l')).toBe('none\n0\n');
      expect(await persistedFileHashes(g)).toBe(before.get(g.name));
    }
  });

  test('a real run installs, tunes, persists, reboots and reports each verdict', async () => {
    const bootsBefore = await Promise.all(guests.map((g) => g.bootId()));
    // One batch of both guests: they reboot and verify side by side (check mode above shows the batches of serial: 1).
    const r = await playbook(['-e', `nvprobe_package=${deb}`, '-e', 'nvprobe_serial=2', '-e', 'nvprobe_verify_delay=5', '-e', 'nvprobe_budget=20s', ...WATCH_ON]);
    expect(r.code, r.stdout.slice(-6000) + r.stderr).toBe(0);
    expect(r.stdout.split(/^PLAY \[/m).slice(1)).toHaveLength(1);
    for (const [i, g] of guests.entries()) {
      expect(r.stdout).toMatch(new RegExp(`TASK \\[nvprobe : Reboot\\][^]*?changed: \\[${g.name}\\]`));
      expect(await g.bootId()).not.toBe(bootsBefore[i]);
      const status = JSON.parse((await g.ssh('nvprobe status --json')).stdout) as { pending: unknown; lastVerdict: { verdict: string } | null };
      expect(status.pending ?? null).toBeNull();
      expect(status.lastVerdict?.verdict).toMatch(/^(kept|reverted-)/);
      const reported = r.stdout.match(new RegExp(`TASK \\[nvprobe : Report the verdict\\][^]*?ok: \\[${g.name}\\] => \\{\\s*"msg": "verification: ([^:"]*)([^"]*)`));
      expect(reported?.[1], g.name).toBe(status.lastVerdict!.verdict);
      console.log(`${g.name}: verification: ${reported![1]}${reported![2]}`);
    }
    for (const [host, c] of recap(r.stdout)) expect(c.failed, host).toBe(0);
    // nvprobe_watch: true with nvprobe_textfile_dir: the directory named for the units, the timer on.
    for (const g of guests) {
      expect(await g.run('cat /etc/default/nvprobe'), g.name).toBe('NVPROBE_TEXTFILE_DIR=/var/lib/prometheus/node-exporter\n');
      expect(await g.run('systemctl is-enabled nvprobe-watch.timer; systemctl is-active nvprobe-watch.timer'), g.name).toBe('enabled\nactive\n');
    }
  }, 1_500_000); // two guests installed, tuned, rebooted and verified, and the watch timer's first runs beside: TCG on a shared machine can take past the suite's 900 s

  test('a second run changes nothing (changed=0)', async () => {
    // One batch: nothing reboots now, and two guests at once save a minute.
    const r = await playbook(['-e', `nvprobe_package=${deb}`, '-e', 'nvprobe_serial=2', '-e', 'nvprobe_budget=20s', ...WATCH_ON]);
    expect(r.code, r.stdout.slice(-6000) + r.stderr).toBe(0);
    for (const g of guests) expect(recap(r.stdout).get(g.name), r.stdout.slice(-3000)).toMatchObject({ changed: 0, failed: 0 });
  });

  test('nvprobe_action=revert puts back every file nvprobe persisted to, byte for byte; nvprobe_watch=false turns the timer off', async () => {
    const r = await playbook(['-e', 'nvprobe_action=revert', '-e', 'nvprobe_revert_all=true', '-e', 'nvprobe_serial=2', '-e', 'nvprobe_watch=false']);
    expect(r.code, r.stdout.slice(-6000) + r.stderr).toBe(0);
    for (const g of guests) {
      // /etc/default/nvprobe is the role's configuration (nvprobe_textfile_dir), not a setting nvprobe
      // tune persisted: it stays, and is left out of the comparison.
      const hashes = (await persistedFileHashes(g)).replace(/^\S+ {2}\/etc\/default\/nvprobe\n/m, '');
      expect(hashes, g.name).toBe(before.get(g.name));
      expect((await g.run('nvprobe status --json | python3 -c "import json,sys; print(len(json.load(sys.stdin)[\'entries\']))"')).trim()).toBe('0');
      expect((await g.ssh('systemctl is-enabled nvprobe-watch.timer; systemctl is-active nvprobe-watch.timer')).stdout, g.name).toBe('disabled\ninactive\n');
    }
  });
});

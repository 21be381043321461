import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { NVPROBE, REPO } from '../helpers/cli.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { missingCommands, needCommands } from '../helpers/commands.js';
import { makeTemp, removeTemp } from '../helpers/fixtures.js';
import { run } from './build.js';

const tmp = makeTemp('nvprobe-unit-');
afterAll(() => removeTemp(tmp));
const UNIT = join(REPO, 'packaging/systemd/nvprobe-tune.service');
const CLOUD = join(REPO, 'packaging/cloud-init/nvprobe.cloud-config.yaml');
/** What the unpacked cloud-init imports (packaging/cloud-init/validate.sh, test/system-deps.sh). */
const CLOUD_INIT_LIBS = ['yaml', 'jsonschema', 'requests', 'jinja2', 'configobj', 'jsonpatch', 'netifaces', 'oauthlib'];

/** `Key=value` lines of one [Section]. */
function section(text: string, name: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const body = text.split(/^\[/m).find((s) => s.startsWith(`${name}]`)) ?? '';
  for (const line of body.split('\n').slice(1)) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

describe('nvprobe-tune.service', () => {
  it('is a oneshot after local-fs, before the workloads, running tune with a 20 s budget, installable but shipped disabled', () => {
    const text = readFileSync(UNIT, 'utf8');
    const unit = section(text, 'Unit');
    const service = section(text, 'Service');
    expect(service.get('Type')).toEqual(['oneshot']);
    expect(service.get('ExecStart')).toEqual(['/usr/bin/nvprobe tune --yes --budget 20s --json']);
    expect(unit.get('After')![0]!.split(' ')).toContain('local-fs.target');
    expect(unit.get('Before')![0]!.split(' ')).toContain('multi-user.target');
    expect(section(text, 'Install').get('WantedBy')).toEqual(['multi-user.target']);
    // Hardened, but not so that tune cannot write /sys or read the disks it measures.
    expect(service.get('ProtectSystem')).toEqual(['strict']);
    expect(service.get('NoNewPrivileges')).toEqual(['yes']);
    expect(service.get('StateDirectory')).toEqual(['nvprobe']);
    // ProtectClock implies DeviceAllow=char-rtc, which turns on a device allowlist without the disks.
    for (const k of ['ProtectKernelTunables', 'PrivateDevices', 'ProtectClock', 'DevicePolicy', 'DeviceAllow', 'MemoryDenyWriteExecute', 'ReadOnlyPaths', 'InaccessiblePaths'])
      expect(service.has(k), k).toBe(false);
    // (systemd-analyze verify of the installed unit: test/packaging/deb-rpm.test.ts.)
  });

  it('systemd-analyze verify works in this environment: it reports a misspelled directive and a missing ExecStart', async (ctx) => {
    needCommands(ctx, ['systemd-analyze'], 'to verify the unit');
    // The installed unit must verify with no output at all (deb-rpm.test.ts): an unknown key is
    // only a warning (exit 0), a missing executable an error.
    const bad = join(tmp, 'nvprobe-tune.service');
    writeFileSync(bad, readFileSync(UNIT, 'utf8').replace('ExecStart=/usr/bin/nvprobe', 'ExecStart=/bin/true').replace('ProtectSystem=strict', 'ProtectSytem=strict'));
    const r = await run('systemd-analyze', ['verify', '--man=no', bad]);
    expect(r.stderr).toMatch(/Unknown key 'ProtectSytem' in section \[Service\]/);
    writeFileSync(bad, readFileSync(UNIT, 'utf8').replace('ExecStart=/usr/bin/nvprobe', `ExecStart=${tmp}/no-such-nvprobe`));
    const missing = await run('systemd-analyze', ['verify', '--man=no', bad]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no-such-nvprobe is not executable/);
  });
});

describe('nvprobe-verify.service', () => {
  const VERIFY_UNIT = join(REPO, 'packaging/systemd/nvprobe-verify.service');
  it('is a oneshot that runs nvprobe verify only when a verification is armed, before the workloads', () => {
    const text = readFileSync(VERIFY_UNIT, 'utf8');
    const unit = section(text, 'Unit');
    const service = section(text, 'Service');
    expect(service.get('Type')).toEqual(['oneshot']);
    expect(service.get('ExecStart')).toEqual(['/usr/bin/nvprobe verify --json --settle 60s']);
    expect(unit.get('ConditionPathExists')).toEqual(['/var/lib/nvprobe/pending-verify.json']);
    expect(unit.get('After')![0]!.split(' ')).toContain('local-fs.target');
    // The boot-time tune refuses while a verification is armed: verify first, it disarms.
    expect(unit.get('Before')![0]!.split(' ')).toEqual(expect.arrayContaining(['nvprobe-tune.service', 'multi-user.target']));
    expect(section(text, 'Install').get('WantedBy')).toEqual(['multi-user.target']);
    // A revert rewrites the boot loader configuration: /etc and /boot must stay writable.
    for (const k of ['ProtectSystem', 'ReadOnlyPaths', 'ProtectKernelTunables']) expect(service.has(k), k).toBe(false);
    expect(service.get('StateDirectory')).toEqual(['nvprobe']);
  });

  it('systemd-analyze verify accepts it (with an executable in place of nvprobe) and rejects a broken copy', async (ctx) => {
    needCommands(ctx, ['systemd-analyze'], 'to verify the unit');
    const copy = join(tmp, 'nvprobe-verify.service');
    writeFileSync(copy, readFileSync(VERIFY_UNIT, 'utf8').replace('ExecStart=/usr/bin/nvprobe', 'ExecStart=/bin/true'));
    const good = await run('systemd-analyze', ['verify', '--man=no', copy]);
    expect(good.stderr + good.stdout).toBe('');
    expect(good.code).toBe(0);
    writeFileSync(copy, readFileSync(VERIFY_UNIT, 'utf8').replace('ExecStart=/usr/bin/nvprobe', 'ExecStart=/bin/true').replace('ConditionPathExists=', 'ConditionPathExist='));
    expect((await run('systemd-analyze', ['verify', '--man=no', copy])).stderr).toMatch(/Unknown key 'ConditionPathExist' in section \[Unit\]/);
  });
});

describe('nvprobe-watch.timer and nvprobe-watch.service', () => {
  const TIMER = join(REPO, 'packaging/systemd/nvprobe-watch.timer');
  const SERVICE = join(REPO, 'packaging/systemd/nvprobe-watch.service');

  it('the timer: every 5 min at a fixed per-machine offset, nothing made up after downtime, installable but shipped disabled', () => {
    const text = readFileSync(TIMER, 'utf8');
    const timer = section(text, 'Timer');
    expect(timer.get('OnCalendar')).toEqual(['*:0/5']);
    expect(timer.get('RandomizedDelaySec')).toEqual(['4min']);
    expect(timer.get('FixedRandomDelay')).toEqual(['yes']);
    expect(timer.get('Persistent')).toEqual(['false']);
    expect(section(text, 'Install').get('WantedBy')).toEqual(['timers.target']);
    expect(section(text, 'Unit').get('ConditionVirtualization')).toEqual(['vm']);
  });

  it('the service: a bounded probe into NVPROBE_TEXTFILE_DIR/nvprobe.prom, after the boot units, with its budget enforced', () => {
    const text = readFileSync(SERVICE, 'utf8');
    const unit = section(text, 'Unit');
    const service = section(text, 'Service');
    expect(service.get('Type')).toEqual(['oneshot']);
    expect(unit.get('After')![0]!.split(' ')).toEqual(expect.arrayContaining(['nvprobe-tune.service', 'nvprobe-verify.service']));
    expect(service.get('EnvironmentFile')).toEqual(['-/etc/default/nvprobe']);
    const exec = service.get('ExecStart')![0]!;
    // The boot units' file, not a second one with the same series (node_exporter keeps one copy of a series two files carry).
    expect(exec).toContain('exec /usr/bin/nvprobe probe --duration 2s --ios 2000 --ramp 100ms --format prometheus -o "$$d/nvprobe.prom"');
    for (const k of ['TimeoutStartSec', 'LimitCPU', 'MemoryMax', 'CPUWeight', 'IOWeight']) expect(service.has(k), k).toBe(true);
    expect(Number(service.get('TimeoutStartSec')![0])).toBeLessThanOrEqual(120);
    expect(Number(service.get('LimitCPU')![0])).toBeLessThan(Number(service.get('TimeoutStartSec')![0]));
    expect(Number(service.get('CPUWeight')![0])).toBeLessThan(100);
    expect(Number(service.get('IOWeight')![0])).toBeLessThan(100);
    // A quota would stall polled reads inside the phase the guest-side alert watches.
    expect(service.has('CPUQuota')).toBe(false);
    // Hardened like the tune unit; the state dir read-only: no scratch file, only the textfile.
    expect(service.get('ProtectSystem')).toEqual(['strict']);
    expect(service.get('NoNewPrivileges')).toEqual(['yes']);
    expect(service.get('ReadWritePaths')).toEqual(section(readFileSync(UNIT, 'utf8'), 'Service').get('ReadWritePaths'));
    for (const k of ['StateDirectory', 'ProtectKernelTunables', 'PrivateDevices', 'ProtectClock', 'DevicePolicy', 'DeviceAllow', 'MemoryDenyWriteExecute']) expect(service.has(k), k).toBe(false);
    // Started by the timer only.
    expect(text).not.toMatch(/^\[Install\]/m);
  });

  it("ExecStart's command, as systemd passes it to sh: the textfile with both sides of the split; status 78 and a message without NVPROBE_TEXTFILE_DIR", async () => {
    const exec = section(readFileSync(SERVICE, 'utf8'), 'Service').get('ExecStart')![0]!;
    const line = /^\/bin\/sh -c '(.*)'$/.exec(exec)![1]!;
    const dataDir = diskTempDir('nvprobe-watch-');
    try {
      writeOffsetFile(join(dataDir.dir, 'target'), 4096);
      // systemd turns $$ into $; the test points it at the checkout's nvprobe and a file target.
      const script = line.replace(/\$\$/g, '$').replace('/usr/bin/nvprobe probe', `${NVPROBE} probe ${join(dataDir.dir, 'target')}`);
      const state = join(dataDir.dir, 'state');
      mkdirSync(state, { mode: 0o700 });
      const env = { ...process.env, NVPROBE_STATE_DIR: state };
      const off = await run('/bin/sh', ['-c', script], { env: { ...env, NVPROBE_TEXTFILE_DIR: '' } });
      expect(off.code).toBe(78);
      expect(off.stderr).toMatch(/NVPROBE_TEXTFILE_DIR is not set in \/etc\/default\/nvprobe/);
      const dir = join(dataDir.dir, 'textfile');
      mkdirSync(dir);
      const on = await run('/bin/sh', ['-c', script], { env: { ...env, NVPROBE_TEXTFILE_DIR: dir } });
      expect(on.stderr).toBe('');
      expect(on.code).toBe(0);
      const fams = parsePrometheusText(readFileSync(join(dir, 'nvprobe.prom'), 'utf8'));
      // --ios bounds the reads a run makes.
      const count = fams.get('nvprobe_read_latency_calibrated_seconds')!.samples.find((x) => x.name.endsWith('_count'))!.value;
      expect(count).toBeGreaterThan(0);
      expect(count).toBeLessThanOrEqual(2000);
      // The tuning state, for the drift alert.
      expect(fams.get('nvprobe_tune_changes')!.samples.map((x) => x.labels.state)).toEqual(['applied', 'drifted', 'unknown']);
      if (fams.get('nvprobe_read_latency_clock_info')!.samples[0]!.labels.clock === 'native')
        for (const f of ['nvprobe_read_phase_latency_seconds', 'nvprobe_read_guest_side_latency_seconds', 'nvprobe_read_host_side_latency_seconds']) expect(fams.has(f), f).toBe(true);
    } finally {
      dataDir.remove();
    }
  });

  it('systemd-analyze verify accepts the timer with its service and rejects a broken copy', async (ctx) => {
    needCommands(ctx, ['systemd-analyze'], 'to verify the units');
    const dir = join(tmp, 'watch');
    mkdirSync(dir);
    writeFileSync(join(dir, 'nvprobe-watch.service'), readFileSync(SERVICE, 'utf8'));
    writeFileSync(join(dir, 'nvprobe-watch.timer'), readFileSync(TIMER, 'utf8'));
    const good = await run('systemd-analyze', ['verify', '--man=no', join(dir, 'nvprobe-watch.timer'), join(dir, 'nvprobe-watch.service')]);
    expect(good.stderr + good.stdout).toBe('');
    expect(good.code).toBe(0);
    writeFileSync(join(dir, 'nvprobe-watch.timer'), readFileSync(TIMER, 'utf8').replace('OnCalendar=', 'OnCalender='));
    expect((await run('systemd-analyze', ['verify', '--man=no', join(dir, 'nvprobe-watch.timer')])).stderr).toMatch(/Unknown key 'OnCalender' in section \[Timer\]/);
  });
});

describe('cloud-init example', () => {
  it('installs and runs nvprobe in runcmd, logs to the cloud-init output, --persist and the watch timer only as opt-ins', () => {
    const text = readFileSync(CLOUD, 'utf8');
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    expect(text).toMatch(/apt-get install -y \/run\/nvprobe\.deb/);
    expect(text).toMatch(/nvprobe tune --yes --budget 20s --json \$NVPROBE_PERSIST/);
    expect(text).toMatch(/^\s+NVPROBE_PERSIST=\s+# opt-in: NVPROBE_PERSIST="--persist --reboot"$/m);
    // The second boot verifies: the unit is enabled before tune may reboot, and tune runs once per
    // instance even when its reboot interrupts cloud-init (which then reruns the script).
    const enable = text.indexOf('systemctl enable nvprobe-verify.service');
    const once = text.indexOf('[ -e /var/lib/nvprobe/cloud-init-tuned ] && exit 0');
    const tune = text.indexOf('nvprobe tune --yes');
    expect(enable).toBeGreaterThan(0);
    expect(once).toBeGreaterThan(enable);
    expect(tune).toBeGreaterThan(text.indexOf('touch /var/lib/nvprobe/cloud-init-tuned'));
    expect(tune).toBeGreaterThan(once);
    expect(text).toMatch(/all: "\| tee -a \/var\/log\/cloud-init-output\.log"/);
    // The watch timer only as an opt-in, only with a textfile directory; started after tune.
    expect(text).toMatch(/^\s+NVPROBE_WATCH=\s+# opt-in: NVPROBE_WATCH=1: nvprobe-watch\.timer \(needs NVPROBE_TEXTFILE_DIR\)$/m);
    expect(text).toContain('if [ -n "$NVPROBE_TEXTFILE_DIR" ]; then systemctl enable nvprobe-watch.timer');
    expect(text.indexOf('systemctl enable nvprobe-watch.timer')).toBeLessThan(once);
    expect(text.indexOf('[ -z "$NVPROBE_WATCH" ] || systemctl start nvprobe-watch.timer')).toBeGreaterThan(tune);
  });

  it('passes `cloud-init schema --config-file`, which rejects a broken copy', async (ctx) => {
    // validate.sh runs cloud-init, or Debian's package unpacked on python3 with its libraries.
    if (missingCommands(['cloud-init']).length > 0) {
      needCommands(ctx, ['apt-get', 'dpkg-deb'], 'to unpack cloud-init (it is not installed)');
      const libs = spawnSync('/usr/bin/python3', ['-c', `import ${CLOUD_INIT_LIBS.join(', ')}`], { encoding: 'utf8' });
      if (libs.status !== 0)
        ctx.skip(`cloud-init is not installed and its Python libraries are missing (${(libs.stderr || String(libs.error)).trim().split('\n').pop()}); test/system-deps.sh installs them as root`);
    }
    const r = await run(join(REPO, 'packaging/cloud-init/validate.sh'), [CLOUD]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Valid cloud-config: /m);
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, readFileSync(CLOUD, 'utf8').replace('runcmd:', 'runcmd: 5\nx_runcmd:'));
    const b = await run(join(REPO, 'packaging/cloud-init/validate.sh'), [bad]);
    expect(b.code).not.toBe(0);
    expect(b.stderr + b.stdout).toMatch(/runcmd: 5 is not of type 'array'/);
  });
});

import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';
import { makeTemp, removeTemp } from '../helpers/fixtures.js';
import { REPO } from '../helpers/cli.js';
import { missingCommands, needCommands } from '../helpers/commands.js';
import { buildPackage, debPayload, ok, rpmPayload, run, VERSION } from './build.js';

// Builds the .deb and the .rpm from this checkout, installs the .deb on this machine (root),
// runs it, purges it and checks that nothing is left behind; checks the .rpm's payload is the
// same tree. See packaging/ and README "Install". It never touches nvprobe state that it did not
// create: where this machine has nvprobe's state or package, the install test skips.

const tmp = makeTemp('nvprobe-pkg-');
const dataDir = diskTempDir(); // O_DIRECT needs a real filesystem
let deb = '';
let rpm = '';
beforeAll(async () => {
  // Built where their tools are; the tests of a package that could not be built skip.
  if (missingCommands(['dpkg-deb']).length === 0) deb = await buildPackage('deb', join(tmp, 'out'));
  if (missingCommands(['rpmbuild']).length === 0) rpm = await buildPackage('rpm', join(tmp, 'out'));
}, 180_000);
function needDeb(ctx: TestContext): void {
  needCommands(ctx, ['dpkg-deb'], 'to build the .deb');
}
function needRpm(ctx: TestContext): void {
  needCommands(ctx, ['rpmbuild', 'rpm'], 'to build and query the .rpm');
}
afterAll(() => {
  removeTemp(tmp);
  dataDir.remove();
});

const arch = process.arch === 'x64' ? { deb: 'amd64', rpm: 'x86_64' } : { deb: 'arm64', rpm: 'aarch64' };
/** What every package must carry, beside /usr/lib/nvprobe/dist and node_modules. */
const ESSENTIAL = [
  '/usr/bin/nvprobe',
  '/usr/lib/nvprobe/bin/nvprobe',
  '/usr/lib/nvprobe/package.json',
  '/usr/lib/nvprobe/dist/cli/main.js',
  '/usr/share/nvprobe/rules/haltpoll.yaml',
  '/usr/share/nvprobe/rules/scheduler.yaml',
  '/usr/lib/systemd/system/nvprobe-tune.service',
  '/usr/lib/systemd/system/nvprobe-verify.service',
  '/usr/lib/systemd/system/nvprobe-watch.timer',
  '/usr/lib/systemd/system/nvprobe-watch.service',
  '/usr/share/man/man1/nvprobe.1.gz',
  '/usr/share/doc/nvprobe/copyright',
  '/usr/share/doc/nvprobe/examples/nvprobe.cloud-config.yaml',
  '/usr/lib/nvprobe/node_modules/commander/package.json',
  `/usr/lib/nvprobe/node_modules/@yuuang/ffi-rs-linux-${process.arch}-gnu/package.json`,
];
const NOT_SHIPPED = [
  /^\/usr\/lib\/nvprobe\/node_modules\/(typescript|vitest|vite-node|@types)\//,
  /^\/usr\/lib\/nvprobe\/(src|test)\//,
  /^\/usr\/lib\/nvprobe\/dist\/.*\.map$/,
  /ffi-rs-(?!linux-(x64|arm64)-gnu)/,
];

describe('the .deb', () => {
  it('is named, versioned and depends as documented; maintainer scripts never tune', async (ctx) => {
    needDeb(ctx);
    expect(deb.endsWith(`/nvprobe_${VERSION}_${arch.deb}.deb`)).toBe(true);
    const field = async (f: string) => (await ok('dpkg-deb', ['-f', deb, f])).trim();
    expect(await field('Package')).toBe('nvprobe');
    expect(await field('Version')).toBe(VERSION);
    expect(await field('Architecture')).toBe(arch.deb);
    expect(await field('Depends')).toBe('nodejs (>= 20)');
    const files = await debPayload(deb);
    for (const f of ESSENTIAL) expect(files.has(f), f).toBe(true);
    for (const f of files.keys()) for (const re of NOT_SHIPPED) expect(f).not.toMatch(re);
    expect(files.get('/usr/bin/nvprobe')).toMatch(/^l/);
    expect(files.get('/usr/lib/nvprobe/bin/nvprobe')).toBe('-rwxr-xr-x');
    const ctl = join(tmp, 'ctl');
    await ok('dpkg-deb', ['-e', deb, ctl]);
    for (const s of ['postinst', 'prerm', 'postrm']) {
      const text = readFileSync(join(ctl, s), 'utf8');
      expect(text.trimEnd().endsWith('exit 0'), s).toBe(true);
      expect(text, s).not.toMatch(/^[^#]*\/usr\/bin\/nvprobe|^\s*nvprobe\s|tune --/m);
      expect(text, s).not.toMatch(/^[^#\n]*systemctl[^#\n]*\benable\b/m);
    }
  });

  it('installs with dpkg -i, runs detect and check from /usr/bin, purges without leaving anything behind', async (ctx) => {
    needDeb(ctx);
    needCommands(ctx, ['dpkg', 'dpkg-query', 'systemd-analyze'], 'to install the .deb and verify its unit');
    if (process.getuid?.() !== 0) ctx.skip('not root: dpkg -i needs root');
    // This machine's own nvprobe (a package, even purged only to its conffiles, or the state of
    // real runs, e.g. a live journal) is not the test's to replace, move or delete.
    const known = await run('dpkg-query', ['-W', '-f', '${Status}', 'nvprobe']);
    if (known.code === 0 && !known.stdout.endsWith(' not-installed')) ctx.skip(`an nvprobe package is known to dpkg here (${known.stdout}): the test will not replace or purge it`);
    for (const p of ['/var/lib/nvprobe', '/etc/nvprobe']) if (pathPresent(p)) ctx.skip(`${p} exists on this machine (nvprobe's real state): purging the test package could remove it`);
    // nodejs must be a dpkg package for `Depends: nodejs (>= 20)`. Where node was installed some
    // other way (a tarball, nvm) dpkg cannot know it: then, and only then, the test installs with
    // --force-depends and checks that dpkg named exactly that dependency. The package keeps it.
    const nodePkg = (await run('dpkg-query', ['-W', '-f', '${Status}|${Version}', 'nodejs'])).stdout;
    const [status, nodeVersion] = nodePkg.split('|');
    const depOk = !!status?.endsWith(' installed') && (await run('dpkg', ['--compare-versions', nodeVersion!, 'ge', '20'])).code === 0;

    const state = '/var/lib/nvprobe';
    const existedBefore = new Set<string>();
    let listed: string[] = [];
    try {
      const install = await run('dpkg', ['-i', ...(depOk ? [] : ['--force-depends']), deb]);
      if (!depOk) expect(install.stderr).toMatch(/depends on nodejs \(>= 20\)/);
      expect(install.code, install.stderr).toBe(0);
      listed = await (await ok('dpkg-query', ['-L', 'nvprobe']))
        .trim()
        .split('\n')
        .filter((p) => p !== '/.');
      // Directories the package shares with the system (/usr, /usr/bin...) existed before it.
      for (const p of listed)
        if (['/etc', '/usr', '/usr/bin', '/usr/lib', '/usr/share', '/usr/share/doc', '/usr/share/man', '/usr/share/man/man1', '/usr/lib/systemd', '/usr/lib/systemd/system'].includes(p))
          existedBefore.add(p);
      expect(await ok('dpkg-query', ['-W', '-f', '${Status} ${Version}', 'nvprobe'])).toBe(`install ok installed ${VERSION}`);

      // Installed, not tuned, not enabled.
      expect(existsSync(state)).toBe(false);
      expect(existsSync('/etc/systemd/system/multi-user.target.wants/nvprobe-tune.service')).toBe(false);
      expect(existsSync('/etc/systemd/system/multi-user.target.wants/nvprobe-verify.service')).toBe(false);
      expect(existsSync('/etc/systemd/system/timers.target.wants/nvprobe-watch.timer')).toBe(false);
      expect(readlinkSync('/usr/bin/nvprobe')).toBe('../lib/nvprobe/bin/nvprobe');

      const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: process.env.HOME ?? '/', LANG: 'C.UTF-8' };
      const opts = { cwd: '/', env };
      expect((await ok('/usr/bin/nvprobe', ['--version'], opts)).trim()).toBe(VERSION);
      const detect = JSON.parse(await ok('/usr/bin/nvprobe', ['detect', '--json'], opts));
      expect(detect.schemaVersion).toBe(1);
      expect(detect.kernel.release).toBe(readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
      expect(Array.isArray(detect.disks)).toBe(true);
      const text = await run('/usr/bin/nvprobe', ['check'], opts);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stderr).toBe('');
      const check = JSON.parse(await ok('/usr/bin/nvprobe', ['check', '--json'], opts));
      // The shipped rules, found where the .deb puts them (not this checkout's).
      expect(check.rules.files.length).toBeGreaterThan(0);
      for (const f of check.rules.files) expect(f).toMatch(/^\/usr\/share\/nvprobe\/rules\/[a-z-]+\.yaml$/);
      expect(check.rules.count).toBeGreaterThan(5);
      expect(gunzipSync(readFileSync('/usr/share/man/man1/nvprobe.1.gz')).toString()).toMatch(/^\.TH NVPROBE 1 .*\n[\s\S]*nvprobe probe[\s\S]*-\\-format/);

      // The unit as installed, with its ExecStart present: systemd-analyze verify accepts it.
      expect(readFileSync('/usr/lib/systemd/system/nvprobe-tune.service', 'utf8')).toBe(readFileSync(join(REPO, 'packaging/systemd/nvprobe-tune.service'), 'utf8'));
      const verify = await run('systemd-analyze', ['verify', `--man=${existsSync('/usr/bin/man') ? 'yes' : 'no'}`, '/usr/lib/systemd/system/nvprobe-tune.service']);
      expect(verify.stderr + verify.stdout).toBe('');
      expect(verify.code).toBe(0);
      expect(readFileSync('/usr/lib/systemd/system/nvprobe-verify.service', 'utf8')).toBe(readFileSync(join(REPO, 'packaging/systemd/nvprobe-verify.service'), 'utf8'));
      const verifyUnit = await run('systemd-analyze', ['verify', `--man=${existsSync('/usr/bin/man') ? 'yes' : 'no'}`, '/usr/lib/systemd/system/nvprobe-verify.service']);
      expect(verifyUnit.stderr + verifyUnit.stdout).toBe('');
      expect(verifyUnit.code).toBe(0);
      // The watch timer with its service, as installed (ExecStart is /bin/sh; the service exec's /usr/bin/nvprobe).
      for (const u of ['nvprobe-watch.timer', 'nvprobe-watch.service']) expect(readFileSync(`/usr/lib/systemd/system/${u}`, 'utf8')).toBe(readFileSync(join(REPO, 'packaging/systemd', u), 'utf8'));
      const watch = await run('systemd-analyze', [
        'verify',
        `--man=${existsSync('/usr/bin/man') ? 'yes' : 'no'}`,
        '/usr/lib/systemd/system/nvprobe-watch.timer',
        '/usr/lib/systemd/system/nvprobe-watch.service',
      ]);
      expect(watch.stderr + watch.stdout).toBe('');
      expect(watch.code).toBe(0);
    } finally {
      const purge = await run('dpkg', ['--purge', 'nvprobe']);
      expect(purge.code, purge.stderr).toBe(0);
    }
    expect((await run('dpkg-query', ['-W', '-f', '${Status}', 'nvprobe'])).stdout).not.toMatch(/installed/);
    expect(listed.length).toBeGreaterThan(100);
    const left = listed.filter((p) => !existedBefore.has(p) && pathPresent(p));
    expect(left).toEqual([]);
    for (const p of ['/usr/lib/nvprobe', '/usr/share/nvprobe', '/etc/nvprobe', '/usr/bin/nvprobe', '/usr/share/doc/nvprobe']) expect(pathPresent(p), p).toBe(false);
    expect(pathPresent(state)).toBe(false);
  });
});

function pathPresent(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

describe('the .rpm', () => {
  it('is named and versioned as documented, requires nodejs >= 20, and carries the same files as the .deb', async (ctx) => {
    needRpm(ctx);
    needDeb(ctx);
    expect(rpm.endsWith(`/nvprobe-${VERSION}-1.${arch.rpm}.rpm`)).toBe(true);
    expect(await ok('rpm', ['-qp', '--qf', '%{NAME} %{VERSION} %{ARCH}', rpm])).toBe(`nvprobe ${VERSION} ${arch.rpm}`);
    expect((await ok('rpm', ['-qpR', rpm])).split('\n')).toContain('nodejs >= 20');
    const files = await rpmPayload(rpm);
    const debFiles = await debPayload(deb);
    expect([...files.keys()].sort()).toEqual([...debFiles.keys()].sort());
    for (const [f, perms] of files) expect(perms, f).toBe(debFiles.get(f));
    const dirs = (await ok('rpm', ['-qpl', rpm])).split('\n');
    expect(dirs).toContain('/etc/nvprobe/rules.d');
    const scripts = await ok('rpm', ['-qp', '--scripts', rpm]);
    expect(scripts).not.toMatch(/^[^#]*\/usr\/bin\/nvprobe|^\s*nvprobe\s|tune --/m);
    expect(scripts).not.toMatch(/^[^#\n]*systemctl[^#\n]*\benable\b/m);
  });

  it('rpm2cpio payload: the CLI it holds runs, validates its rules and detects this machine', async (ctx) => {
    needRpm(ctx);
    needCommands(ctx, ['rpm2cpio', 'cpio'], 'to unpack the .rpm');
    const root = join(tmp, 'rpmroot');
    await ok('sh', ['-c', `mkdir -p "${root}" && cd "${root}" && rpm2cpio "${rpm}" | cpio -idm --quiet`]);
    expect(readlinkSync(join(root, 'usr/bin/nvprobe'))).toBe('../lib/nvprobe/bin/nvprobe');
    const cli = join(root, 'usr/lib/nvprobe/bin/nvprobe');
    const opts = { cwd: '/', env: { PATH: '/usr/bin:/bin', HOME: process.env.HOME ?? '/' } };
    expect((await ok(cli, ['--version'], opts)).trim()).toBe(VERSION);
    const validate = await run(cli, ['rules', 'validate', join(root, 'usr/share/nvprobe/rules')], opts);
    expect(validate.code, validate.stderr).toBe(0);
    expect(JSON.parse(await ok(cli, ['detect', '--json'], opts)).schemaVersion).toBe(1);
    // ffi-rs's native binding for this architecture is there and loads: a real probe.
    const target = join(dataDir.dir, 'target.dat');
    writeOffsetFile(target, 256);
    const probe = await run(cli, ['probe', target, '--engine', 'psync2', '--ios', '50', '--ramp', '0', '--json'], opts);
    expect(probe.code, probe.stderr).toBe(0);
    expect(JSON.parse(probe.stdout).result.samples).toBe(50);
  });
});

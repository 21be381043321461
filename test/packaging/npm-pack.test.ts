import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';
import { makeTemp, removeTemp } from '../helpers/fixtures.js';
import { ok, run, VERSION } from './build.js';

const tmp = makeTemp('nvprobe-npm-');
const data = diskTempDir();
afterAll(() => {
  removeTemp(tmp);
  data.remove();
});

describe('npm pack', () => {
  it('gives a tarball that npm i -g installs into a prefix without dev dependencies, and that runs', async () => {
    // npm pack runs `prepare` (tsc) first, so dist/ is in the tarball and installs need no build.
    const packed = JSON.parse(await ok('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: REPO })) as { filename: string; files: { path: string }[] }[];
    const tgz = join(tmp, packed[0]!.filename);
    expect(packed[0]!.filename).toBe(`nvprobe-${VERSION}.tgz`);
    const files = packed[0]!.files.map((f) => f.path);
    for (const f of ['package.json', 'README.md', 'bin/nvprobe', 'dist/cli/main.js', 'dist/report/prometheus.js', 'rules/haltpoll.yaml', 'rules/README.md']) expect(files, f).toContain(f);
    for (const f of files) expect(f).toMatch(/^(package\.json|README\.md|bin\/nvprobe|dist\/.+|rules\/.+)$/);

    const prefix = join(tmp, 'prefix');
    const install = await run('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', tgz], { cwd: tmp });
    expect(install.code, install.stderr).toBe(0);
    const pkgDir = join(prefix, 'lib/node_modules/nvprobe');
    for (const dev of ['typescript', 'vitest', 'vite-node', '@types/node']) expect(existsSync(join(pkgDir, 'node_modules', dev)), dev).toBe(false);

    const cli = join(prefix, 'bin/nvprobe');
    const opts = { cwd: '/', env: { PATH: `${prefix}/bin:/usr/bin:/bin`, HOME: process.env.HOME ?? '/' } };
    expect((await ok(cli, ['--version'], opts)).trim()).toBe(VERSION);
    expect(JSON.parse(await ok(cli, ['detect', '--json'], opts)).schemaVersion).toBe(1);
    const check = JSON.parse(await ok(cli, ['check', '--json'], opts));
    expect(check.rules.files.length).toBeGreaterThan(0);
    for (const f of check.rules.files) expect(f.startsWith(`${pkgDir}/rules/`)).toBe(true); // its own rules
    const target = join(data.dir, 'target.dat');
    writeOffsetFile(target, 256);
    const probe = await run(cli, ['probe', target, '--ios', '50', '--ramp', '0', '--format', 'prometheus'], opts);
    expect(probe.code, probe.stderr).toBe(0);
    expect(probe.stdout).toMatch(/^nvprobe_read_latency_seconds_count\{.*\} 50$/m);
    expect(readFileSync(join(pkgDir, 'package.json'), 'utf8')).toContain(`"version": "${VERSION}"`);
  });
});

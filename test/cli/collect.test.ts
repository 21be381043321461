import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { networkInterfaces, hostname } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectSnapshot } from '../../src/detect/snapshot.js';
import { RecordingRoot } from '../../src/host/recording-root.js';
import { bundleMembers, member } from '../helpers/bundle.js';
import { stableView } from '../helpers/normalise.js';
import { NVPROBE, runCli, runCommand } from '../helpers/cli.js';
import { diskTempDir } from '../helpers/files.js';
import { savedTuneRun } from '../helpers/tune-run.js';

/** Loop and zram devices come and go as other users of this machine attach them: not compared. */
const TRANSIENT = /^(loop|zram)\d+$/;

// nvprobe collect on this machine, with a real saved tune run (loop device) in its state dir.
let tmp: ReturnType<typeof diskTempDir>;
let stateDir: string;
let runName: string;
let bundle: string;
let collected: { bundle: string; bytes: number; redactionMap: string; collectMs: { withoutProbe: number; total: number }; collectors: Array<{ name: string; status: string }> };
beforeAll(async () => {
  tmp = diskTempDir('nvprobe-collect-');
  const saved = await savedTuneRun(tmp.dir);
  stateDir = saved.stateDir;
  runName = saved.run.run;
  bundle = join(tmp.dir, 'b.tar.gz');
  const r = await runCli(['collect', '-o', bundle, '--state-dir', stateDir, '--json']);
  if (r.code !== 0) throw new Error(`collect failed: ${r.stderr}`);
  collected = JSON.parse(r.stdout);
}, 120_000);
afterAll(() => tmp.remove());

describe('nvprobe collect', () => {
  it('says the sha256 of the bundle as written, and names the support case in the file name and manifest', async () => {
    expect((collected as unknown as { sha256: string }).sha256).toBe(createHash('sha256').update(readFileSync(bundle)).digest('hex'));
    const dir = join(tmp.dir, 'case');
    mkdirSync(dir);
    const r = await runCommand(NVPROBE, ['collect', '--no-probe', '--state-dir', stateDir, '--case-id', 'SR-4711'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const [name] = readdirSync(dir);
    expect(name).toMatch(/^nvprobe-SR-4711-[0-9a-f]{8}-\d{8}T\d{6}Z-[0-9a-f]{6}\.tar\.gz$/);
    expect(JSON.parse(member(join(dir, name!), 'manifest.json')).caseId).toBe('SR-4711');
    expect(r.stdout).toContain(
      `sha256 ${createHash('sha256')
        .update(readFileSync(join(dir, name!)))
        .digest('hex')}  ${name}\n`,
    );
    const bad = await runCli(['collect', '--no-probe', '--state-dir', stateDir, '--case-id', '../x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^nvprobe: --case-id "..\/x" is not a case id\nhint: /);
  });

  it('writes a 0600 .tar.gz under 5 MB with every collector recorded in manifest.json', () => {
    expect(statSync(bundle).mode & 0o777).toBe(0o600);
    expect(statSync(bundle).size).toBe(collected.bytes);
    expect(collected.bytes).toBeLessThanOrEqual(5_000_000);
    const names = bundleMembers(bundle).map((m) => m.name);
    for (const n of [
      'manifest.json',
      'version.json',
      'detect.json',
      'check.json',
      'probe.json',
      'kernel-log.txt',
      'tree/proc/cpuinfo',
      'tree/proc/stat',
      'tree/nvprobe-snapshot.json',
      `state/runs/${runName}.json`,
    ])
      expect(names).toContain(n);
    expect(names.some((n) => /^state\/(runs\/)?journal.*\.jsonl$/.test(n))).toBe(true);
    const manifest = JSON.parse(member(bundle, 'manifest.json'));
    expect(manifest).toMatchObject({ schemaVersion: 1, kind: 'nvprobe.bundle', redacted: true, hostToken: expect.stringMatching(/^[0-9a-f]{8}$/) });
    expect(manifest.collectors.map((c: { name: string }) => c.name)).toEqual(['version', 'snapshot', 'probe', 'detect', 'check', 'tune-runs', 'kernel-log']);
    for (const c of manifest.collectors) {
      expect(c).toMatchObject({ status: 'ok', timedOut: false, truncated: [], ms: expect.any(Number), bytes: expect.any(Number), timeoutMs: expect.any(Number), maxItemBytes: expect.any(Number) });
      expect(c.bytes).toBeGreaterThan(0);
    }
    // The probe measured about 3 s of reads.
    const probe = JSON.parse(member(bundle, 'probe.json'));
    expect(probe).toMatchObject({ kind: 'nvprobe.probe', config: { durationMs: 3000 } });
    expect(probe.result.samples).toBeGreaterThan(100);
    expect(JSON.parse(member(bundle, 'version.json')).nvprobeVersion).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("judges steal on the probe's reads: detect.json's steal.run, and the vcpu-steal finding names that window", async () => {
    const cpu = JSON.parse(member(bundle, 'probe.json')).result.cpu as { vcpus: Array<{ cpu: number; steal: number }> };
    expect(cpu.vcpus.length).toBeGreaterThan(0);
    const steal = JSON.parse(member(bundle, 'detect.json')).steal;
    expect(steal.window).toBe('run');
    expect(steal.run.perCpu).toEqual(cpu.vcpus.map((v) => ({ cpu: v.cpu, pct: Math.round(v.steal * 10000) / 100 })));
    expect(steal.sinceBoot.perCpu.length).toBe(cpu.vcpus.length);
    const finding = (doc: string) =>
      (JSON.parse(doc) as { findings: Array<{ id: string; title: string; evidence: Array<{ field: string; value: unknown }> }> }).findings.find((f) => f.id === 'vcpu-steal')!;
    const judged = finding(member(bundle, 'check.json'));
    expect(judged.title).toContain("during collect's probe");
    expect(judged.evidence).toContainEqual(expect.objectContaining({ field: 'steal.window', value: 'run' }));
    // The tree holds /proc/stat: check --from reads since boot, and says so.
    const offline = finding((await runCli(['check', '--json', '--from', bundle])).stdout);
    expect(offline.evidence).toContainEqual(expect.objectContaining({ field: 'steal.window', value: 'since-boot' }));
  });

  it("report of the bundle shows the probe's CPU and steal: text, --json summary, the HTML page's vCPU table", async () => {
    const cpu = JSON.parse(member(bundle, 'probe.json')).result.cpu as { vcpus: unknown[] };
    const text = await runCli(['report', bundle]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^the bundle's probe: CPU nvprobe [\d.]+ µs user \+ [\d.]+ µs system per read.*; vCPUs [\d.]+ % busy/m);
    const most = '([\\d.]+ % at most \\(vCPU \\d+\\)|0 % on every vCPU)';
    expect(text.stdout).toMatch(new RegExp(`^steal {7}${most} during collect's probe, [\\d.]+ s of reads, [\\d.]+ µs per read; ${most} since boot$`, 'm'));
    const doc = JSON.parse((await runCli(['report', bundle, '--json'])).stdout);
    expect(doc.summary.cpu).toMatch(/^nvprobe [\d.]+ µs user/);
    const html = join(tmp.dir, 'cpu.html');
    expect((await runCli(['report', bundle, '-o', html])).code).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<h3 id="cpu">');
    expect(page.match(/<table class="vcpus">.*<\/table>/)![0].match(/<tr><td>/g)!.length).toBe(cpu.vcpus.length);
  });

  it('keeps the sysfs chains as relative symlinks inside tree/', () => {
    const links = bundleMembers(bundle).filter((m) => m.kind === 'link');
    expect(links.length).toBeGreaterThan(5);
    const blocks = links.filter((l) => /^tree\/sys\/block\/[^/]+$/.test(l.name));
    expect(blocks.length).toBeGreaterThan(0);
    for (const l of links) expect((l as { target: string }).target).not.toMatch(/^\//);
    expect((blocks[0] as { target: string }).target).toMatch(/^\.\.\/devices\//);
  });

  it('holds the tree exactly as `nvprobe snapshot` writes it: same files, same links', async () => {
    const snap = join(tmp.dir, 'snap');
    expect((await runCli(['snapshot', snap])).code).toBe(0);
    const transient = /\/(loop|zram)\d+(\/|$)|\/devices\/virtual\/block\/(loop|zram)/;
    const fromSnapshot = new Map<string, string>();
    for (const e of readdirSync(snap, { recursive: true, withFileTypes: true })) {
      const rel = join(e.parentPath, e.name).slice(snap.length);
      if (transient.test(rel) || e.isDirectory()) continue;
      fromSnapshot.set(rel, e.isSymbolicLink() ? `link ${readlinkSync(join(e.parentPath, e.name))}` : 'file');
    }
    const fromBundle = new Map<string, string>();
    for (const m of bundleMembers(bundle)) {
      if (!m.name.startsWith('tree/') || transient.test(m.name) || m.kind === 'dir') continue;
      fromBundle.set(m.name.slice('tree'.length), m.kind === 'link' ? `link ${m.target}` : 'file');
    }
    expect(fromBundle).toEqual(fromSnapshot);
  });

  it('keeps the redaction map away from the bundle (0600, under the state dir), never inside it or beside it', () => {
    expect(collected.redactionMap).toBe(join(stateDir, 'redaction-maps', 'b.redaction-map.json'));
    expect(readdirSync(tmp.dir).filter((n) => n.includes('redaction'))).toEqual([]);
    expect(statSync(collected.redactionMap).mode & 0o777).toBe(0o600);
    const map = JSON.parse(readFileSync(collected.redactionMap, 'utf8'));
    expect(map.kind).toBe('nvprobe.redaction-map');
    const names = bundleMembers(bundle).map((m) => m.name);
    expect(names.some((n) => n.includes('redaction'))).toBe(false);
    // Every token in the map is used as a stable stand-in: a value never gets two tokens.
    const tokens = map.entries.map((e: { token: string }) => e.token);
    expect(new Set(tokens).size).toBe(tokens.length);
    for (const e of map.entries) expect(e.token).toMatch(new RegExp(`^REDACTED-${e.kind}-\\d+$`));
  });

  it('round trip: check --from the bundle gives the same findings as check live', async () => {
    const { bundle: b, live } = await stillBundle(['check', '--json']);
    const off = await runCli(['check', '--json', '--from', b]);
    expect(off.stderr).toBe('');
    expect(off.code).toBe(0);
    const findings = (text: string) => (JSON.parse(text) as { findings: Array<{ subject: string | null; status: string }> }).findings.filter((f) => !TRANSIENT.test(f.subject ?? ''));
    expect(findings(off.stdout)).toEqual(findings(live));
    expect(findings(off.stdout).length).toBeGreaterThan(10);
    expect(findings(off.stdout).filter((f) => f.status !== 'n/a').length).toBeGreaterThan(3);
    // The bundled check.json says the same.
    expect(findings(member(b, 'check.json'))).toEqual(findings(live));
  });

  it('detect --from gives the live Snapshot with identifiers replaced by tokens', async () => {
    const { bundle: b, live } = await stillBundle(['detect', '--json']);
    const off = JSON.parse((await runCli(['detect', '--json', '--from', b])).stdout);
    // Counters move between two reads; init's arguments and identifiers are redacted on purpose.
    expect(stableView(off)).toEqual(stableView(JSON.parse(live)));
    for (const d of off.disks) for (const v of Object.values(d.ids as Record<string, string | null>)) if (v !== null) expect(v).toMatch(/^REDACTED-/);
  });

  it('redaction scanner: no byte of the hostname, IP or MAC addresses, user names, serials or UUIDs of the live tree is in the archive', () => {
    const secrets = machineSecrets();
    expect(secrets.long.length).toBeGreaterThan(0);
    const gz = readFileSync(bundle);
    const tar = gunzipSync(gz);
    const text = tar.toString('latin1');
    for (const s of secrets.long) {
      for (const variant of new Set([s, s.toLowerCase(), s.toUpperCase()])) {
        expect(tar.includes(Buffer.from(variant)), `"${variant}" in the tar`).toBe(false);
        expect(gz.includes(Buffer.from(variant)), `"${variant}" in the gzip bytes`).toBe(false);
      }
    }
    // A hostname shorter than 4 characters ("vm") is a substring of ordinary words (kvm-clock);
    // it must not appear as a name of its own.
    for (const s of secrets.short) expect(new RegExp(`(?<![0-9A-Za-z_])${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![0-9A-Za-z_])`).test(text), `"${s}" as a word in the tar`).toBe(false);
  });

  it("drops init's arguments after `--` from every member, JSON ones included, as from tree/proc/cmdline", () => {
    const cmdline = readFileSync('/proc/cmdline', 'utf8').trim();
    const dash = cmdline.search(/(^|\s)--(\s|$)/);
    const init =
      dash < 0
        ? ''
        : cmdline
            .slice(dash)
            .replace(/^\s*--/, '')
            .trim();
    const members = bundleMembers(bundle).filter((m) => m.kind === 'file');
    expect(members.length).toBeGreaterThan(20);
    if (init.length >= 2) {
      for (const m of members) {
        const text = (m as { data: Buffer }).data.toString('utf8');
        expect(text.includes(init), `init's arguments in ${m.name}`).toBe(false);
        expect(text.includes(JSON.stringify(init).slice(1, -1)), `init's arguments (JSON) in ${m.name}`).toBe(false);
      }
    }
    // The same redaction in the tree and in detect.json.
    const raw = JSON.parse(member(bundle, 'detect.json')).kernel.cmdline.raw as string;
    expect(`${raw}\n`).toBe(member(bundle, 'tree/proc/cmdline'));
    if (dash >= 0) expect(raw).toMatch(/ -- REDACTED-init-args$/);
  });

  it('--no-redact keeps the values (the scanner above would see them) and writes no map', async () => {
    const out = join(tmp.dir, 'plain.tar.gz');
    const r = await runCli(['collect', '-o', out, '--no-probe', '--no-redact', '--state-dir', stateDir, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).redactionMap).toBeNull();
    expect(existsSync(join(tmp.dir, 'plain.redaction-map.json'))).toBe(false);
    const tar = gunzipSync(readFileSync(out));
    const { long } = machineSecrets();
    const serials = live().identifiers;
    for (const s of serials) expect(tar.includes(Buffer.from(s))).toBe(true);
    expect(long.some((s) => tar.includes(Buffer.from(s)))).toBe(true);
  });

  it('names the bundle nvprobe-<host-token>-<date>-<random>.tar.gz, and takes ≤ 10 s without the probe', async () => {
    const cwd = join(tmp.dir, 'default-name');
    mkdirSync(cwd);
    const t0 = performance.now();
    const r = await runCli(['collect', '--no-probe', '--state-dir', stateDir], { cwd });
    const wall = performance.now() - t0;
    expect(r.code).toBe(0);
    // Only the bundle: `scp nvprobe-* support:` sends nothing else (the map is under the state dir).
    const files = readdirSync(cwd);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^nvprobe-[0-9a-f]{8}-\d{8}T\d{6}Z-[0-9a-f]{6}\.tar\.gz$/);
    expect(existsSync(join(stateDir, 'redaction-maps', files[0]!.replace(/\.tar\.gz$/, '.redaction-map.json')))).toBe(true);
    expect(wall).toBeLessThan(10_000);
    const manifest = JSON.parse(member(join(cwd, files[0]!), 'manifest.json'));
    expect(manifest.collectors.find((c: { name: string }) => c.name === 'probe')).toMatchObject({ status: 'skipped', reason: '--no-probe' });
    expect(manifest.collectMs.withoutProbe).toBeLessThan(10_000);
    expect(manifest.hostToken).toBe(JSON.parse(member(bundle, 'manifest.json')).hostToken);
    expect(r.stdout).toMatch(/^wrote nvprobe-.*\.tar\.gz \(\d+\.\d KiB/);
  });

  it('refuses an existing -o file unless --force, and an unwritable place (exit 2)', async () => {
    const out = join(tmp.dir, 'exists.tar.gz');
    writeFileSync(out, 'keep');
    const r = await runCli(['collect', '-o', out, '--no-probe', '--state-dir', stateDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^nvprobe: .*exists\.tar\.gz already exists\nhint: .*--force/);
    expect(readFileSync(out, 'utf8')).toBe('keep');
    expect((await runCli(['collect', '-o', out, '--no-probe', '--force', '--state-dir', stateDir])).code).toBe(0);
    expect(readFileSync(out).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const missing = await runCli(['collect', '-o', join(tmp.dir, 'no/such/dir/b.tar.gz'), '--no-probe', '--state-dir', stateDir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^nvprobe: cannot write .*: its directory does not exist\nhint: /);
    const dir = await runCli(['collect', '-o', tmp.dir, '--no-probe', '--state-dir', stateDir]);
    expect(dir.code).toBe(2);
    expect(dir.stderr).toMatch(/is a directory/);
    const ro = await runCli(['collect', '-o', '/proc/b.tar.gz', '--no-probe', '--state-dir', stateDir]);
    expect(ro.code).toBe(2);
    expect(ro.stderr).not.toMatch(/at .*\.js/);
  });
});

/**
 * A bundle collected while the machine held still: the live answer to `args` is the same just
 * before and just after collect (other users of this machine run tune on it; a change in
 * between would be theirs, not a difference between live and offline). Up to 3 tries.
 */
async function stillBundle(args: string[]): Promise<{ bundle: string; live: string }> {
  const view = (text: string) =>
    JSON.stringify(
      args[0] === 'detect' ? stableView(JSON.parse(text)) : (JSON.parse(text) as { findings: Array<{ subject: string | null }> }).findings.filter((f) => !TRANSIENT.test(f.subject ?? '')),
    );
  let last = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = (await runCli(args)).stdout;
    const out = join(tmp.dir, `still-${args[0]}-${attempt}.tar.gz`);
    const r = await runCli(['collect', '-o', out, '--no-probe', '--state-dir', stateDir]);
    if (r.code !== 0) throw new Error(r.stderr);
    const after = (await runCli(args)).stdout;
    if (view(before) === view(after)) return { bundle: out, live: after };
    last = `${args.join(' ')} changed while collecting`;
  }
  throw new Error(`the machine did not hold still for 3 collects: ${last}`);
}

let liveCache: { identifiers: string[]; uuids: string[] } | undefined;
/** The identifying values of this machine's tree, read as collect's recording Root reads them. */
function live(): { identifiers: string[]; uuids: string[] } {
  if (liveCache) return liveCache;
  const rec = new RecordingRoot('/');
  detectSnapshot(rec);
  const identifiers: string[] = [];
  const uuids: string[] = [];
  for (const [path, e] of rec.entries) {
    if (e.kind !== 'file' || e.content === null) continue;
    if (/\/(serial|wwid|uuid|eui|nguid|subsysnqn|product_serial|product_uuid|board_serial|chassis_serial)$/.test(path) && e.content.trim().length >= 4) identifiers.push(e.content.trim());
    for (const m of e.content.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi)) uuids.push(m[0]);
  }
  return (liveCache = { identifiers, uuids });
}

function machineSecrets(): { long: string[]; short: string[] } {
  const values = new Set<string>();
  const names = [hostname(), readFileSync('/proc/sys/kernel/hostname', 'utf8').trim()];
  for (const n of names) values.add(n);
  // People's login names (uid 1000 and up), as collect redacts them.
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [name, , uid] = line.split(':');
    if (name && Number(uid) >= 1000 && Number(uid) < 65534) values.add(name);
  }
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      values.add(a.address.replace(/%.*$/, ''));
      if (a.mac !== '00:00:00:00:00:00') values.add(a.mac);
    }
  }
  for (const dev of readdirSync('/sys/class/net')) {
    const mac = readFileSync(`/sys/class/net/${dev}/address`, 'utf8').trim();
    if (mac && mac !== '00:00:00:00:00:00') values.add(mac);
  }
  const { identifiers, uuids } = live();
  for (const v of [...identifiers, ...uuids]) values.add(v);
  const all = [...values].filter((v) => v.length > 0);
  return { long: all.filter((v) => v.length >= 4), short: all.filter((v) => v.length < 4) };
}

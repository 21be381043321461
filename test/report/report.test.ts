import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTar } from '../../src/host/tar.js';
import { Histogram } from '../../src/stats/histogram.js';
import { fmtUs } from '../../src/report/format.js';
import { member } from '../helpers/bundle.js';
import { ARTIFACTS, chromiumOrSkip, withHeadlessChromium } from '../helpers/chromium.js';
import { runCli } from '../helpers/cli.js';
import { diskTempDir } from '../helpers/files.js';
import { savedTuneRun } from '../helpers/tune-run.js';

// nvprobe report on a real saved tune run (loop device, real before/after histograms) and on a
// bundle collected here with that run in it; the HTML page is opened in headless Chromium.
let tmp: ReturnType<typeof diskTempDir>;
let runFile: string;
let run: Record<string, any>;
let bundle: string;
beforeAll(async () => {
  tmp = diskTempDir('nvprobe-report-');
  const saved = await savedTuneRun(tmp.dir);
  runFile = saved.runFile;
  run = saved.run;
  bundle = join(tmp.dir, 'b.tar.gz');
  const r = await runCli(['collect', '-o', bundle, '--no-probe', '--state-dir', saved.stateDir]);
  if (r.code !== 0) throw new Error(`collect failed: ${r.stderr}`);
}, 120_000);
afterAll(() => tmp.remove());

describe('nvprobe report (terminal)', () => {
  it('RUN.json without -o prints the per-change table, before/after figures and both histograms', async () => {
    const r = await runCli(['report', runFile]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const c of run.result.changes) expect(r.stdout).toMatch(new RegExp(`^${c.target.replace(/[/.]/g, '\\$&')} +${c.from.join(',')} +${c.to}`, 'm'));
    expect(r.stdout).toMatch(/^p50 µs +[\d.]+ +[\d.]+ +[-+]?[\d.]+ %$/m);
    expect(r.stdout).toContain('latency histogram: before');
    expect(r.stdout).toContain('latency histogram: after');
    // The histogram rows count every I/O of the before round.
    const before = r.stdout.split('latency histogram: before')[1]!.split('latency histogram: after')[0]!;
    const counted = [...before.matchAll(/^ *(?:[<>]=? )?[\d.]+(?: - [\d.]+)? +(\d+) /gm)].reduce((a, m) => a + Number(m[1]), 0);
    expect(counted).toBe(run.result.histograms.before.count);
  });

  it('a bundle without -o prints the machine, the findings and the run', async () => {
    const r = await runCli(['report', bundle]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^nvprobe bundle .*b\.tar\.gz: host [0-9a-f]{8}/);
    expect(r.stdout).toMatch(/^hypervisor /m);
    const check = JSON.parse(member(bundle, 'check.json'));
    const shown = check.findings.find((f: { status: string }) => f.status === 'recommend' || f.status === 'advise');
    expect(r.stdout).toContain(shown.title);
    expect(r.stdout).toContain(`run ${run.run}`);
  });
});

describe('nvprobe report -o report.html', () => {
  let html: string;
  let file: string;
  beforeAll(async () => {
    file = join(tmp.dir, 'report.html');
    const r = await runCli(['report', bundle, '-o', file]);
    if (r.code !== 0) throw new Error(r.stderr);
    html = readFileSync(file, 'utf8');
  });

  it('is one self-contained page: no scripts, no external assets', () => {
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)="(https?:|\/\/)/i);
    expect(statSync(file).size).toBeLessThan(2_000_000);
  });

  it("has the CDF (log-scale x) with a before and an after series drawn from the run's histograms", () => {
    const svg = /<svg class="cdf"[\s\S]*?<\/svg>/.exec(html)?.[0];
    expect(svg).toBeDefined();
    const paths = [...svg!.matchAll(/<path class="cdf-series" data-series="(\w+)" d="([^"]+)"/g)];
    expect(paths.map((p) => p[1])).toEqual(['before', 'after']);
    // One step per non-empty bucket (plus the start), ending at share 1 (the top of the plot).
    for (const [i, name] of ['before', 'after'].entries()) {
      const h = Histogram.fromJSON(run.result.histograms[name]);
      const pts = paths[i]![2]!.split(' ');
      expect(pts).toHaveLength(h.nonEmpty().length + 1);
      expect(Number(pts.at(-1)!.split(',')[1])).toBeCloseTo(16, 1);
    }
    expect(svg).toContain('log scale');
    expect(html.match(/<svg class="histogram"/g)).toHaveLength(2);
  });

  it('shows the machine, the disks, the findings with evidence and host advice, and the per-change table', () => {
    const check = JSON.parse(member(bundle, 'check.json'));
    for (const f of check.findings.filter((x: { status: string }) => x.status === 'recommend' || x.status === 'advise')) {
      expect(html).toContain(`id="finding-${f.id}"`);
      for (const e of f.evidence) expect(html).toContain(`<code>${e.field}</code>`);
    }
    // Rules that passed are named by their title (what is fine), not by the rule id alone.
    const fine = check.findings.filter((x: { status: string }) => x.status === 'ok');
    expect(fine.length).toBeGreaterThan(0);
    const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
    for (const f of fine) expect(html).toContain(`<tr id="finding-${f.id}"><td>${esc(f.title)} <span class="muted">${f.id}</span></td>`);
    const advised = check.findings.find((x: { hostAdvice: unknown; status: string }) => x.hostAdvice && x.status === 'advise');
    if (advised) expect(html).toContain('Host advice:');
    expect(html).toContain('<h2 id="machine">Machine</h2>');
    expect(html).toMatch(/<h2 id="disks">Disks<\/h2>\s*<table><tr><th>disk<\/th>/);
    for (const c of run.result.changes) expect(html).toContain(`<td><code>${c.target}</code></td>`);
  });

  it("has a per-phase chart (before/after CDF of each phase on the kernel clock) from the run's traced measurements", () => {
    const kc = run.result.kernelClock;
    expect(kc, 'tune as root traces its baseline and result').toBeDefined();
    expect(kc.before.available).toBe(true);
    const section = html.split('<h2 id="phases">')[1]?.split('<h2 ')[0];
    expect(section).toBeDefined();
    const figures = [...section!.matchAll(/<figure class="phase-chart" data-phase="(\w+)">[\s\S]*?<\/figure>/g)];
    expect(figures.map((f) => f[1])).toEqual(['submit', 'device', 'completion']);
    for (const f of figures) {
      const phase = f[1]!;
      const paths = [...f[0].matchAll(/<path class="cdf-series" data-series="(\w+)" d="([^"]+)"/g)];
      expect(paths.map((p) => p[1])).toEqual(['before', 'after']);
      // Each step line is drawn from that phase's own histogram: one point per non-empty bucket plus the start.
      for (const [i, name] of ['before', 'after'].entries()) {
        const h = Histogram.fromJSON(kc[name].phases[phase].histogram);
        expect(paths[i]![2]!.split(' ')).toHaveLength(h.nonEmpty().length + 1);
      }
    }
    // The table's p50 of the device phase before is the document's (same histogram, same rounding).
    const p50 = Histogram.fromJSON(kc.before.phases.device.histogram).percentile(50) / 1000;
    expect(section).toMatch(
      new RegExp(`device and host \\(issue → complete\\): before</td><td class="num">${kc.before.phases.device.latency.count}</td><td class="num">${fmtUs(p50).replace('.', '\\.')}<`),
    );
  });

  it('a probe document: one chart of its three phases when kernel-clock data is present, none with --no-trace', async () => {
    const target = join(tmp.dir, 'probe-target.dat');
    writeFileSync(target, Buffer.alloc(16 << 20, 7));
    for (const trace of [true, false]) {
      const r = await runCli(['probe', target, '--engine', 'psync2', '--ios', '4000', '--ramp', '0', '--json', ...(trace ? [] : ['--no-trace'])]);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      const json = join(tmp.dir, `probe-${trace}.json`);
      writeFileSync(json, r.stdout);
      const out = join(tmp.dir, `probe-${trace}.html`);
      expect((await runCli(['report', json, '-o', out])).code).toBe(0);
      const page = readFileSync(out, 'utf8');
      if (trace && doc.kernelClock.available && doc.kernelClock.phases) {
        const fig = /<figure class="phase-chart" data-phase="all">[\s\S]*?<\/figure>/.exec(page)?.[0];
        expect(fig).toBeDefined();
        expect([...fig!.matchAll(/<path class="cdf-series" data-series="([^"]+)"/g)].map((m) => m[1])).toEqual([
          'submit (syscall → issue)',
          'device and host (issue → complete)',
          'completion → return',
        ]);
      } else {
        expect(trace && process.geteuid?.() === 0, `traced probe without phases: ${JSON.stringify(doc.kernelClock).slice(0, 200)}`).toBe(false);
        expect(page).not.toContain('phase-chart');
        expect(page).not.toContain('<h2 id="phases">');
      }
    }
  }, 60_000);

  it('a probe whose readers all waited on another CPU than the completions: the summary says which CPU to run on', async (ctx) => {
    const target = join(tmp.dir, 'placement-target.dat');
    writeFileSync(target, Buffer.alloc(16 << 20, 7));
    const r = await runCli(['probe', target, '--engine', 'psync2', '--ios', '2000', '--ramp', '0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    if (!doc.kernelClock.available) ctx.skip(`kernel clock unavailable here: ${doc.kernelClock.reason}`);
    // The document edited to the placement a reader pinned away from the interrupt's CPU gets.
    doc.kernelClock.placement = { issueCpus: { 0: 40 }, completionCpus: { 1: 40 }, sameCpu: { reads: 0, p50Us: null }, otherCpu: { reads: 40, p50Us: 98.4 } };
    const json = join(tmp.dir, 'probe-placement.json');
    writeFileSync(json, JSON.stringify(doc));
    const out = join(tmp.dir, 'probe-placement.html');
    expect((await runCli(['report', json, '-o', out])).code).toBe(0);
    const summary = /<section class="summary"[\s\S]*?<\/section>/.exec(readFileSync(out, 'utf8'))?.[0] ?? '';
    expect(summary).toMatch(/<li><strong>Placement<\/strong>: every read waited on another CPU than its completion(?:'|&#39;|&#x27;)s \(CPU 1\): nvprobe probe --cpu 1 measures the difference<\/li>/);
    const text = await runCli(['report', json]);
    expect(text.stdout).toContain("  placement completions ran on CPU 1 (100 %); readers waited on CPU 0 (100 %): on the completion's CPU no reads, on another CPU p50 98.4 µs (40 reads)");
    expect(text.stdout).toContain("every read waited on another CPU than its completion's (CPU 1)");
  }, 60_000);

  it('renders in headless Chromium: the DOM has both CDF series and the findings; a screenshot is saved', async (ctx) => {
    const chromium = chromiumOrSkip(ctx);
    mkdirSync(ARTIFACTS, { recursive: true });
    await withHeadlessChromium(chromium, async (browse) => {
      const dom = await browse(['--dump-dom', `file://${file}`]);
      expect(dom.code, dom.stderr).toBe(0);
      const latency = dom.stdout.split('<h2 id="latency">')[1]!.split('<h2 ')[0]!;
      const series = [...latency.matchAll(/<path class="cdf-series" data-series="(\w+)"/g)].map((m) => m[1]);
      expect(series).toEqual(['before', 'after']);
      const check = JSON.parse(member(bundle, 'check.json'));
      const title = check.findings.find((f: { status: string }) => f.status === 'recommend' || f.status === 'advise').title as string;
      expect(dom.stdout).toContain(title.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
      // The answer before the evidence: the summary box first, the latency before the findings.
      const at = (marker: string) => dom.stdout.indexOf(marker);
      expect(at('<section class="summary" id="summary">')).toBeGreaterThan(0);
      expect(at('<section class="summary" id="summary">')).toBeLessThan(at('<h2 id="changes">'));
      expect(at('<h2 id="changes">')).toBeLessThan(at('<h2 id="latency">'));
      expect(at('<h2 id="latency">')).toBeLessThan(at('<h2 id="findings">'));
      expect(at('<h2 id="findings">')).toBeLessThan(at('<h2 id="machine">'));
      const summary = dom.stdout.split('<section class="summary" id="summary">')[1]!.split('</section>')[0]!;
      expect(summary).toMatch(/<strong>Read latency<\/strong>.*p50 <strong>[\d.]+ µs<\/strong> after tuning, [\d.]+ µs before/);
      expect(summary).toMatch(/<strong>(Kept|Nothing kept)<\/strong>/);
      if (check.findings.some((f: { status: string }) => f.status === 'advise')) expect(summary).toContain('<strong>Ask the host admin</strong>');
      if (run.result.kernelClock?.after?.phases) expect(summary).toMatch(/tuning inside this guest can remove at most ~\d+ % of a read/);
      // The disk model as the text report names it, not '-' where PCI ids are known.
      const snap = JSON.parse(member(bundle, 'detect.json'));
      for (const d of snap.disks.filter((x: { model: string | null; pci: unknown }) => x.model === null && x.pci)) expect(dom.stdout).toContain(`<td>pci ${d.pci.vendorId}:${d.pci.deviceId}</td>`);
      const png = join(ARTIFACTS, 'report.png');
      rmSync(png, { force: true });
      const shot = await browse([`--screenshot=${png}`, '--window-size=1280,2000', `file://${file}`]);
      expect(shot.code, shot.stderr).toBe(0);
      const head = readFileSync(png).subarray(0, 8);
      expect(head).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(statSync(png).size).toBeGreaterThan(20_000);
    });
  }, 120_000);
});

describe('nvprobe report: bad input', () => {
  it('refuses an existing -o file unless --force, and an unwritable place', async () => {
    const out = join(tmp.dir, 'exists.html');
    writeFileSync(out, 'keep');
    const r = await runCli(['report', runFile, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^nvprobe: .*exists\.html already exists\nhint: .*--force/);
    expect(readFileSync(out, 'utf8')).toBe('keep');
    expect((await runCli(['report', runFile, '-o', out, '--force'])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^<!DOCTYPE html>/);
    const missing = await runCli(['report', runFile, '-o', join(tmp.dir, 'no/dir/r.html')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^nvprobe: cannot write .*its directory does not exist\nhint: /);
  });

  it('refuses input that is neither a bundle nor an nvprobe document, and a newer schema', async () => {
    const bad = async (name: string, data: string | Buffer, message: RegExp) => {
      const f = join(tmp.dir, name);
      writeFileSync(f, data);
      const r = await runCli(['report', f]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/^nvprobe: [^\n]+\nhint: [^\n]+\n$/);
    };
    await bad('notes.txt', 'storage is slow\n', /neither a gzip'd bundle nor JSON/);
    await bad('other.json', '{"kind":"something"}', /not an nvprobe tune run or probe/);
    await bad('newer.json', JSON.stringify({ ...run, schemaVersion: 99 }), /schema version 99, newer than this nvprobe reads \(1\)/);
    await bad('dry.json', JSON.stringify({ ...run, dryRun: true, result: null }), /without measurements/);
    const gz = readFileSync(bundle);
    await bad('cut.tar.gz', gz.subarray(0, gz.length >> 1), /truncated or corrupt/);
    await bad('escape.tar.gz', gzipSync(writeTar([{ kind: 'link', name: 'state', target: '../..' }])), /points outside the archive/);
    expect((await runCli(['report', join(tmp.dir, 'none.json')])).stderr).toMatch(/no such file/);
  });
});

describe('nvprobe report on hostile documents', () => {
  // Each is refused with exit 2 and one line, in seconds, for the terminal and the HTML page.
  const refused = async (name: string, data: string | Buffer, message: RegExp) => {
    const f = join(tmp.dir, name);
    writeFileSync(f, data);
    for (const extra of [[], ['-o', join(tmp.dir, `${name}.html`)]]) {
      const r = await runCli(['report', f, ...extra], { timeout: 20_000 });
      expect(r.signal, `${name} ${extra.join(' ')}: did not finish`).toBeNull();
      expect(r.code, `${name} ${extra.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/^nvprobe: [^\n]+\nhint: [^\n]+\n$/);
      expect(existsSync(join(tmp.dir, `${name}.html`))).toBe(false);
    }
  };
  const text = () => JSON.stringify(run);
  const inBundle = (members: Record<string, string>) =>
    gzipSync(
      writeTar([
        { kind: 'file', name: 'manifest.json', data: Buffer.from(member(bundle, 'manifest.json')) },
        ...Object.entries(members).map(([name, t]) => ({ kind: 'file' as const, name, data: Buffer.from(t) })),
      ]),
    );

  it('numbers out of range (1e999 parses to Infinity: an endless chart axis)', async () => {
    await refused('inf.json', text().replace(/"maxNs":[\d.]+/, '"maxNs":1e999'), /holds a number out of range \(key "maxNs"\)/);
    await refused('inf.tar.gz', inBundle({ 'state/runs/r.json': text().replace(/"maxNs":[\d.]+/, '"maxNs":1e999') }), /state\/runs\/r\.json holds a number out of range/);
  });

  it('histograms whose counts are not whole numbers in range, or do not add up', async () => {
    const h = run.result.histograms.before;
    const withBefore = (before: unknown) => JSON.stringify({ ...run, result: { ...run.result, histograms: { ...run.result.histograms, before } } });
    await refused('count-string.json', withBefore({ ...h, buckets: h.buckets.map(([i, c]: [number, number]) => [i, String(c)]) }), /the before histogram bucket count \d+ out of range/);
    await refused('count-huge.json', withBefore({ ...h, count: 1e300, buckets: [[h.buckets[0][0], 1e300]] }), /the before histogram count or bounds out of range/);
    await refused('count-sum.json', withBefore({ ...h, count: h.count + 1 }), /the before histogram bucket counts add up to \d+, not its count \d+/);
    await refused('buckets-object.json', withBefore({ ...h, buckets: { length: 1e9 } }), /the before histogram buckets are not a list/);
  });

  it('deep nesting and "__proto__" keys', async () => {
    await refused('deep.tar.gz', inBundle({ 'detect.json': `${'['.repeat(100_000)}${']'.repeat(100_000)}` }), /detect\.json nested more than 10000 levels deep/);
    await refused('proto.json', text().replace('{', '{"__proto__":{"kind":"nvprobe.probe"},'), /holds a "__proto__" key/);
    await refused('proto.tar.gz', inBundle({ 'check.json': '{"schemaVersion":1,"__proto__":{"findings":[]}}' }), /check\.json holds a "__proto__" key/);
  });

  it('documents of the right kind in the wrong shape are bad input, not a bug', async () => {
    await refused('shape.json', JSON.stringify({ ...run, result: { ...run.result, changes: 5 } }), /does not have the shape nvprobe writes/);
    await refused('shape.tar.gz', inBundle({ 'check.json': JSON.stringify({ schemaVersion: 1, findings: [{ status: 'recommend', evidence: 7 }] }) }), /does not have the shape nvprobe writes/);
  });
});

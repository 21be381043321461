import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompareDocument } from '../../src/contracts/compare-document.js';
import { writeTar } from '../../src/host/tar.js';
import { Histogram } from '../../src/stats/histogram.js';
import { bundleMembers, member } from '../helpers/bundle.js';
import { ARTIFACTS, chromiumOrSkip, withHeadlessChromium } from '../helpers/chromium.js';
import { runCli } from '../helpers/cli.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';
import { attachLoop, queueAttrs, restoreQueueAttrs } from '../helpers/loop-target.js';

// `nvprobe report A B` on two bundles collected here, seconds apart, with one setting changed in
// between: the scheduler of a loop device this test attaches (restored and detached before the
// comparisons run). Each collect probes the root filesystem's disk for 2 s with its own state dir.
let tmp: ReturnType<typeof diskTempDir>;
let state: string;
let a: string;
let b: string;
let loop: string;
let before: string;
let after: string;
beforeAll(async () => {
  tmp = diskTempDir('nvprobe-compare-');
  state = join(tmp.dir, 'state');
  mkdirSync(state, { mode: 0o700 });
  // The scratch file a probe may need goes to this state dir too, never to /var/lib/nvprobe.
  const env = { ...process.env, NVPROBE_STATE_DIR: state };
  const l = attachLoop(tmp.dir);
  loop = l.name;
  const original = queueAttrs(loop);
  try {
    before = /\[([^\]]+)\]/.exec(original.scheduler!)![1]!;
    after = before === 'none' ? 'mq-deadline' : 'none';
    a = join(tmp.dir, 'a.tar.gz');
    b = join(tmp.dir, 'b.tar.gz');
    const collect = async (file: string) => {
      const r = await runCli(['collect', '-o', file, '--state-dir', state, '--probe-duration', '2s'], { env });
      if (r.code !== 0) throw new Error(`collect failed (${r.code}): ${r.stderr}`);
    };
    await collect(a);
    writeFileSync(`/sys/block/${loop}/queue/scheduler`, after);
    await collect(b);
  } finally {
    restoreQueueAttrs(loop, original);
    l.detach();
  }
}, 120_000);
afterAll(() => tmp?.remove());

const json = async (...args: string[]): Promise<CompareDocument> => {
  const r = await runCli(['report', ...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as CompareDocument;
};

/** What the closing sentence must say, from the document's own figures (max(1 µs, 10 %) of A, as README states). */
function expectedSide(doc: CompareDocument): string {
  const { A, B } = doc.latency;
  if (!A || !B) return 'no-data';
  const beyond = (x: number, y: number) => Math.abs(y - x) > Math.max(1, 0.1 * x);
  if (!beyond(A.p50Us, B.p50Us)) return 'none';
  if (!A.phases || !B.phases) return 'split-unknown';
  const dev = beyond(A.phases.device.p50Us, B.phases.device.p50Us);
  const guest = beyond(A.phases.guestSide.p50Us, B.phases.guestSide.p50Us);
  return dev && guest ? 'both' : dev ? 'device' : guest ? 'guest' : 'spread';
}

describe('nvprobe report A B: two bundles of this machine, a scheduler changed between them', () => {
  it('JSON: the same machine at two times, the changed scheduler first, the headline and phases of both, a side', async () => {
    const doc = await json(a, b);
    expect(doc).toMatchObject({ schemaVersion: 1, kind: 'nvprobe.report-compare', sides: { A: { source: a, sourceKind: 'bundle' }, B: { source: b, sourceKind: 'bundle' } } });
    const ma = JSON.parse(member(a, 'manifest.json'));
    const mb = JSON.parse(member(b, 'manifest.json'));
    expect(ma.machineToken).toMatch(/^[0-9a-f]{8}$/);
    expect(doc.identity).toEqual({ verdict: 'same-machine', sentence: `the same machine at two times (collected ${ma.createdAt} and ${mb.createdAt})` });
    expect(doc.configuration.differences[0]).toMatchObject({ key: 'disk.scheduler', label: 'scheduler', subject: loop, concerns: 'other-disk', a: before, b: after });
    expect(doc.configuration.unknown).toEqual([]);
    // The headline is the series the single report leads with.
    const single = JSON.parse((await runCli(['report', a, '--json'])).stdout);
    expect(doc.latency.A).toMatchObject({ p50Us: single.summary.headline.p50Us, p99Us: single.summary.headline.p99Us });
    const probe = JSON.parse(member(a, 'probe.json'));
    if (probe.kernelClock?.available && probe.kernelClock.phases) {
      expect(doc.latency.A!.series).toBe('read latency (native estimate)');
      expect(doc.latency.A!.phases!.device.p50Us).toBe(probe.kernelClock.phases.device.latency.percentilesUs.p50);
      expect(doc.latency.A!.phases!.guestSide.p50Us).toBe(probe.kernelClock.phases.guestSide.percentilesUs.p50);
    }
    expect(doc.verdict.side).toBe(expectedSide(doc));
    expect(doc.verdict.tolerance).toEqual({ floorUs: 1, relative: 0.1 });
    // The scheduler of a disk nobody read is never what the sentence blames.
    expect(doc.verdict.sentence).not.toContain(loop);
  });

  it('text: the header, the ranked differences with the scheduler first, the latency table and the closing sentence naming a side', async () => {
    const r = await runCli(['report', a, b]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = await json(a, b);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('nvprobe report: A against B');
    expect(lines[3]).toBe(`  ${doc.identity.sentence}`);
    const config = r.stdout.split('Configuration differences, most relevant to QD1 latency first:\n')[1]!;
    expect(config).toMatch(new RegExp(`^ +# +what +A +B +why it matters\\n +1 +${loop}: scheduler +${before} +${after} +an I/O scheduler`));
    expect(r.stdout).toMatch(/^read latency \(native estimate\) +[\d.]+ +[\d.]+ +[−+][\d.]+ µs \([−+][\d.]+ %\)/m);
    const sentence = lines.filter((l) => l !== '').at(-1)!;
    expect(sentence).toBe(doc.verdict.sentence);
    expect(sentence).toMatch(/the device and host side|the guest side|neither side moved|no difference beyond the noise|the split is unknown|where it lies is unknown/);
  });

  it('HTML: one self-contained page, A and B overlaid on every CDF, rendered in Chromium with a screenshot', async (ctx) => {
    const file = join(tmp.dir, 'compare.html');
    const w = await runCli(['report', a, b, '-o', file]);
    expect(w.code, w.stderr).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    const doc = await json(a, b);
    expect(html).toContain(`<li class="verdict" data-side="${doc.verdict.side}">`);
    const chromium = chromiumOrSkip(ctx);
    mkdirSync(ARTIFACTS, { recursive: true });
    await withHeadlessChromium(chromium, async (browse) => {
      const dom = await browse(['--dump-dom', `file://${file}`]);
      expect(dom.code, dom.stderr).toBe(0);
      const page = dom.stdout;
      // The answer first: the summary, then the differences, the findings, the latency.
      const at = (marker: string) => page.indexOf(marker);
      expect(at('<section class="summary" id="summary">')).toBeGreaterThan(0);
      expect(at('<section class="summary" id="summary">')).toBeLessThan(at('<h2 id="configuration">'));
      expect(at('<h2 id="configuration">')).toBeLessThan(at('<h2 id="findings">'));
      expect(at('<h2 id="findings">')).toBeLessThan(at('<h2 id="latency">'));
      const firstRow = /<table class="config-differences">.*?<\/tr><tr data-key="([^"]+)" data-rank="\d+"><td class="num">1<\/td><td>([^<]+)<\/td>/.exec(page);
      expect(firstRow?.slice(1)).toEqual(['disk.scheduler', `${loop}: scheduler`]);
      // Every chart overlays A and B, each drawn from its own side's histogram.
      const figures = [...page.matchAll(/<figure class="compare-cdf" data-phase="(\w+)">[\s\S]*?<\/figure>/g)];
      const withPhases = doc.latency.A!.phases !== null && doc.latency.B!.phases !== null;
      expect(figures.map((f) => f[1])).toEqual(withPhases ? ['total', 'submit', 'device', 'completion'] : ['total']);
      const probes = { A: JSON.parse(member(a, 'probe.json')), B: JSON.parse(member(b, 'probe.json')) };
      for (const f of figures) {
        const paths = [...f[0].matchAll(/<path class="cdf-series" data-series="(\w+)" d="([^"]+)"/g)];
        expect(paths.map((p) => p[1])).toEqual(['A', 'B']);
        for (const [i, side] of (['A', 'B'] as const).entries()) {
          const k = probes[side].kernelClock;
          const h = f[1] === 'total' ? (k?.native?.total.histogram ?? probes[side].result.correctedHistogram) : k.phases[f[1]!].histogram;
          // One step per non-empty bucket, plus the start.
          expect(paths[i]![2]!.split(' ')).toHaveLength(Histogram.fromJSON(h).nonEmpty().length + 1);
        }
      }
      const png = join(ARTIFACTS, 'compare.png');
      rmSync(png, { force: true });
      const shot = await browse([`--screenshot=${png}`, '--window-size=1280,2400', `file://${file}`]);
      expect(shot.code, shot.stderr).toBe(0);
      expect(readFileSync(png).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(statSync(png).size).toBeGreaterThan(20_000);
    });
  }, 120_000);

  it('a probe document against a bundle: compared, the split by phases, the configuration said to be unknown', async () => {
    const target = join(tmp.dir, 'target.dat');
    writeOffsetFile(target, 4096);
    const p = await runCli(['probe', target, '--engine', 'psync2', '--ios', '3000', '--ramp', '0', '--json']);
    expect(p.code, p.stderr).toBe(0);
    const probe = join(tmp.dir, 'probe.json');
    writeFileSync(probe, p.stdout);
    const doc = await json(probe, b);
    expect(doc.identity.verdict).toBe('unknown');
    expect(doc.identity.sentence).toMatch(/^one machine or two is unknown: A is a probe document, which carries no machine identity/);
    expect(doc.configuration.unknown).toEqual([expect.stringMatching(/^A is a probe document without a snapshot of its configuration: only /)]);
    expect(doc.findings.unknown).toMatch(/A is a probe document/);
    expect(doc.latency.A!.p50Us).toBe(JSON.parse(p.stdout).kernelClock?.native?.total.latency.percentilesUs.p50 ?? JSON.parse(p.stdout).result.corrected.percentilesUs.p50);
    expect(doc.verdict.side).toBe(expectedSide(doc));
  }, 60_000);
});

describe('nvprobe report A B: bad input is one line, exit 2, nothing written', () => {
  const refused = async (args: string[], message: RegExp) => {
    const out = join(tmp.dir, 'refused.html');
    for (const extra of [[], ['-o', out]]) {
      const r = await runCli(['report', ...args, ...extra], { timeout: 20_000 });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/^nvprobe: [^\n]+\nhint: [^\n]+\n$/);
      expect(existsSync(out)).toBe(false);
    }
  };

  it('three inputs', () => refused([a, b, a], /^nvprobe: report takes one input, or two to compare; got 3\n/));

  it('the same bundle twice, under one name or two', async () => {
    await refused([a, a], /hold the same bundle: nothing to compare/);
    const copy = join(tmp.dir, 'copy-of-a.tar.gz');
    copyFileSync(a, copy);
    await refused([copy, a], /copy-of-a\.tar\.gz and .*a\.tar\.gz hold the same bundle/);
  });

  it('one input unreadable, or not an nvprobe document', async () => {
    await refused([a, join(tmp.dir, 'missing.tar.gz')], /missing\.tar\.gz: no such file/);
    const notes = join(tmp.dir, 'notes.txt');
    writeFileSync(notes, 'storage is slow\n');
    await refused([notes, b], /notes\.txt is neither a gzip'd bundle nor JSON/);
  });

  it('--json and -o together', async () => {
    const r = await runCli(['report', a, b, '--json', '-o', join(tmp.dir, 'x.html')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--json and -o contradict each other/);
  });
});

describe('nvprobe report A B: hostile strings from a bundle', () => {
  it('reach the terminal as visible escapes and the page as text', async () => {
    // B with its loop's scheduler renamed by a hostile author: a terminal escape, a line break, markup.
    const evil = 'none\u001b]0;pwned\u0007\n  1  fake: row<img src=x onerror=alert(1)>';
    const members = bundleMembers(b).map((m) => {
      if (m.kind !== 'file' || m.name !== 'detect.json') return m;
      const snap = JSON.parse(m.data.toString('utf8'));
      for (const d of snap.disks) if (d.name === loop) d.settings.scheduler = evil;
      return { ...m, data: Buffer.from(JSON.stringify(snap)) };
    });
    const hostile = join(tmp.dir, 'hostile.tar.gz');
    writeFileSync(hostile, gzipSync(writeTar(members)));
    const r = await runCli(['report', a, hostile]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.includes('\u001b') || r.stdout.includes('\u0007')).toBe(false);
    expect(r.stdout).toContain('none\\x1b]0;pwned\\x07\\x0a  1  fake: row<img');
    expect(r.stdout).not.toMatch(/^ +1 +fake: row/m);
    const file = join(tmp.dir, 'hostile.html');
    expect((await runCli(['report', a, hostile, '-o', file])).code).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toContain('<img');
    // Controls made visible, markup as text (a line break is harmless in a page).
    expect(html).toContain('<code>none\\x1b]0;pwned\\x07\n  1  fake: row&lt;img src=x onerror=alert(1)&gt;</code>');
  });
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';

// What users of such tools expect besides the substance: a version command, --quiet, and JSON
// from every command that reports.
let tmp: ReturnType<typeof diskTempDir>;
let file: string;
beforeAll(() => {
  tmp = diskTempDir('nvprobe-conventions-');
  file = join(tmp.dir, 'target.dat');
  writeOffsetFile(file, 4096);
});
afterAll(() => tmp.remove());

describe('conventions', () => {
  it('`nvprobe version` answers (not "did you mean verify?"), as text and JSON', async () => {
    const r = await runCli(['version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^nvprobe \d+\.\d+\.\d+\S* \(Node\.js v\d+\.\d+\.\d+, linux \w+\)\n$/);
    const j = JSON.parse((await runCli(['version', '--json'])).stdout);
    expect(j).toMatchObject({ schemaVersion: 1, kind: 'nvprobe.version', nvprobeVersion: expect.stringMatching(/^\d+\.\d+\.\d+/), node: process.version });
  });

  it('--quiet prints nothing but errors, and the JSON asked for; the exit code still tells', async () => {
    const probe = await runCli(['probe', file, '--ios', '200', '--ramp', '0', '--quiet']);
    expect(probe).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const json = await runCli(['probe', file, '--ios', '200', '--ramp', '0', '--quiet', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).kind).toBe('nvprobe.probe');
    expect(await runCli(['rules', 'list', '--quiet'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const bad = await runCli(['probe', join(tmp.dir, 'missing'), '--quiet']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^nvprobe: .*no such file or device/);
  });

  it('`report INPUT --json`: what it read and the summary it leads with, in one document', async () => {
    const probe = await runCli(['probe', file, '--ios', '500', '--ramp', '0', '--json']);
    expect(probe.code, probe.stderr).toBe(0);
    const saved = join(tmp.dir, 'probe.json');
    writeFileSync(saved, probe.stdout);
    const r = await runCli(['report', saved, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const p = JSON.parse(probe.stdout);
    expect(doc).toMatchObject({ schemaVersion: 1, kind: 'nvprobe.report', sourceKind: 'probe', snapshot: null, run: null });
    const headline = p.headline === 'native' ? p.kernelClock.native.total.latency : p.result.corrected;
    expect(doc.summary.headline).toEqual({ series: p.headline, p50Us: headline.percentilesUs.p50, p99Us: headline.percentilesUs.p99 });
    expect(doc.probe.result.samples).toBe(500);
    const both = await runCli(['report', saved, '--json', '-o', join(tmp.dir, 'r.html')]);
    expect(both.code).toBe(2);
  });
});

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveRun } from '../../src/host/run-store.js';
import { Journal } from '../../src/tune/journal.js';
import { LAST_VERDICT, writeState } from '../../src/tune/pending-verify.js';
import { NVPROBE, REPO, runCli, runCommand } from '../helpers/cli.js';
import { missingCommands } from '../helpers/commands.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';

// promtool (Prometheus's own checker, packaging/prometheus/promtool.sh: installed, or unpacked from
// Debian's package) on the real textfile output of a probe with a tuning state, and on the
// example alert rules (with their unit tests).
const PROMTOOL = join(REPO, 'packaging/prometheus/promtool.sh');
const noPromtool = spawnSync('sh', ['-c', 'command -v promtool || command -v apt-get'], { encoding: 'utf8' }).status !== 0 || missingCommands(['dpkg-deb']).length > 0;
const promtool = (args: string[], input?: string) => runCommand(PROMTOOL, args, { input, cwd: join(REPO, 'packaging/prometheus'), timeout: 120_000 });

let tmp: ReturnType<typeof diskTempDir>;
beforeAll(() => {
  tmp = diskTempDir('nvprobe-prom-');
  writeOffsetFile(join(tmp.dir, 'target'), 4096);
});
afterAll(() => tmp.remove());

describe('probe --format prometheus with the tuning state', () => {
  it('adds the changes in effect, pending verification, reboot required, the last verdict and run time; promtool check metrics accepts it', async (ctx) => {
    const state = join(tmp.dir, 'state');
    mkdirSync(state, { mode: 0o700 });
    // A state dir as nvprobe's own code writes it: a journal with a run, and a verification's verdict.
    const journal = Journal.open(state);
    journal.append({ t: 'run', run: 'r1', at: new Date().toISOString(), command: 'tune', nvprobeVersion: 'test' });
    journal.append({ t: 'end', run: 'r1', status: 'complete' });
    writeState(state, LAST_VERDICT, {
      run: 'r1',
      at: '2026-01-02T03:04:05.000Z',
      boot: 1,
      verdict: 'reverted-no-gain',
      reason: 'no gain',
      checks: [],
      baselineMedianP50Us: 50,
      afterRoundsP50Us: [60, 60, 60, 60, 60],
      afterMedianP50Us: 60,
      ratio: 1.2,
      margin: 0.03,
      rebooting: false,
    });
    // Two saved runs: the newer one measured (one change kept, one too noisy), the older one did not.
    const fig = (p50Us: number) => ({ p50Us, p99Us: 2 * p50Us, p999Us: 4 * p50Us, iops: 1000, samples: 1000, idlePollShare: null });
    const change = (outcome: string, decision: string) => ({ target: `t-${outcome}`, decision, evidence: { outcome }, blocks: [] });
    saveRun(state, 'r0', { kind: 'nvprobe.tune', schemaVersion: 1, createdAt: '2026-01-01T00:00:00.000Z', run: 'r0', result: null });
    saveRun(state, 'r1', {
      kind: 'nvprobe.tune',
      schemaVersion: 1,
      createdAt: '2026-01-02T00:00:00.000Z',
      run: 'r1',
      result: { before: fig(80), after: fig(72), changes: [change('gain', 'kept'), change('too-noisy', 'reverted')], final: { blocks: [], ratio: 0.9, interval: [0.87, 0.93] } },
    });
    const out = join(tmp.dir, 'nvprobe.prom');
    const r = await runCli(['probe', join(tmp.dir, 'target'), '--duration', '300ms', '--ramp', '0s', '--format', 'prometheus', '--state-dir', state, '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    const fams = parsePrometheusText(text);
    expect(fams.get('nvprobe_tune_changes')!.samples.map((s) => [s.labels.state, s.value])).toEqual([
      ['applied', 0],
      ['drifted', 0],
      ['unknown', 0],
    ]);
    expect(fams.get('nvprobe_tune_verification_pending')!.samples[0]!.value).toBe(0);
    expect(fams.get('nvprobe_tune_reboot_required')!.samples[0]!.value).toBe(0);
    expect(
      fams
        .get('nvprobe_tune_last_verdict')!
        .samples.filter((s) => s.value === 1)
        .map((s) => s.labels.verdict),
    ).toEqual(['reverted-no-gain']);
    expect(fams.get('nvprobe_tune_last_verdict_timestamp_seconds')!.samples[0]!.value).toBe(Date.parse('2026-01-02T03:04:05.000Z') / 1000);
    expect(fams.get('nvprobe_tune_last_verdict_p50_seconds')!.samples.map((s) => [s.labels.stage, s.value])).toEqual([
      ['baseline', 50e-6],
      ['after', 60e-6],
    ]);
    // The newest measuring run's result: final against original, interleaved at its end, and its outcomes.
    expect(fams.get('nvprobe_tune_last_run_p50_seconds')!.samples.map((s) => [s.labels.settings, s.value])).toEqual([
      ['original', 80e-6],
      ['final', 72e-6],
    ]);
    expect(fams.get('nvprobe_tune_last_run_p50_ratio')!.samples.map((s) => [s.labels.bound, s.value])).toEqual([
      ['estimate', 0.9],
      ['lower', 0.87],
      ['upper', 0.93],
    ]);
    const outcomes = Object.fromEntries(fams.get('nvprobe_tune_last_run_changes')!.samples.map((s) => [s.labels.outcome, s.value]));
    expect(outcomes).toEqual({ gain: 1, prerequisite: 0, 'no-gain': 0, slower: 0, 'too-noisy': 1, skipped: 0 });
    expect(fams.get('nvprobe_tune_last_run_timestamp_seconds')!.samples[0]!.value).toBe(Date.parse('2026-01-02T00:00:00.000Z') / 1000);
    expect(fams.has('nvprobe_read_latency_seconds')).toBe(true);
    // A named state dir that does not exist: exit 2 before measuring.
    expect((await runCli(['probe', join(tmp.dir, 'target'), '--format', 'prometheus', '--state-dir', join(tmp.dir, 'nope')])).code).toBe(2);
    if (noPromtool) ctx.skip('neither promtool nor apt-get/dpkg-deb to unpack it');
    const check = await promtool(['check', 'metrics'], text);
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.code).toBe(0);
  });
});

describe('the boot units write the textfile when NVPROBE_TEXTFILE_DIR is set', () => {
  it("ExecStartPost's command, as systemd passes it to sh, writes DIR/nvprobe.prom, and nothing when unset", async () => {
    const unit = readFileSync(join(REPO, 'packaging/systemd/nvprobe-verify.service'), 'utf8');
    const line = /^ExecStartPost=-\/bin\/sh -c '(.*)'$/m.exec(unit)![1]!;
    expect(readFileSync(join(REPO, 'packaging/systemd/nvprobe-tune.service'), 'utf8')).toContain(`ExecStartPost=-/bin/sh -c '${line}'`);
    // systemd turns $$ into $; the test points it at the checkout's nvprobe and a file target.
    const script = line
      .replace(/\$\$/g, '$')
      .replace('/usr/bin/nvprobe probe', `${NVPROBE} probe ${join(tmp.dir, 'target')} --ramp 0s`)
      .replace('--duration 3s', '--duration 300ms');
    const dir = join(tmp.dir, 'textfile');
    mkdirSync(dir);
    const state = join(tmp.dir, 'state2');
    mkdirSync(state, { mode: 0o700 });
    const off = await runCommand('/bin/sh', ['-c', script], { env: { ...process.env, NVPROBE_TEXTFILE_DIR: '', NVPROBE_STATE_DIR: state } });
    expect(off.code).toBe(0);
    const on = await runCommand('/bin/sh', ['-c', script], { env: { ...process.env, NVPROBE_TEXTFILE_DIR: dir, NVPROBE_STATE_DIR: state } });
    expect(on.stderr).toBe('');
    expect(on.code).toBe(0);
    const fams = parsePrometheusText(readFileSync(join(dir, 'nvprobe.prom'), 'utf8'));
    expect(fams.get('nvprobe_tune_reboot_required')!.samples[0]!.value).toBe(0);
  });
});

describe.skipIf(noPromtool)('packaging/prometheus/nvprobe.rules.yml', () => {
  it('promtool check rules accepts it, and its unit tests pass (stale file, p50 regression, verification failed, guest/host split, drift, vCPU steal)', async () => {
    const check = await promtool(['check', 'rules', 'nvprobe.rules.yml']);
    expect(check.stdout).toMatch(/SUCCESS: 12 rules found/);
    expect(check.code).toBe(0);
    const test = await promtool(['test', 'rules', 'nvprobe.rules.test.yml']);
    expect(test.stdout).toMatch(/SUCCESS/);
    expect(test.code).toBe(0);
  });
});

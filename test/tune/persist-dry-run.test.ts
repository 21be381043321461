import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { memTempDir } from '../helpers/files.js';

// tune --persist --dry-run on this machine, with a test rule whose only action is a reboot-only
// kernel command-line parameter: the plan says "then reboot, then verify", and nothing is written.
const RULE = `rules:
  - id: test-reboot-only
    title: "test: a reboot-only change"
    severity: low
    applies: { field: kernel.cmdline.raw, exists: true }
    check: { field: kernel.cmdline.raw, exists: true }
    rationale: a test rule whose action only a reboot applies.
    references: [test]
    actions:
      - { kind: kernel-cmdline, param: nvme.poll_queues, value: 1 }
`;

/** Every place persistence or the state may write, hashed (absent: null). */
const WATCHED = [
  '/etc/default/grub',
  '/etc/default/grub.d',
  '/etc/kernel/cmdline',
  '/boot/loader/entries',
  '/boot/grub/grubenv',
  '/boot/grub2/grubenv',
  '/etc/modprobe.d',
  '/etc/udev/rules.d',
  '/var/lib/nvprobe',
];
function fingerprint(): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  const walk = (p: string) => {
    if (!existsSync(p)) return void (out[p] = null);
    const st = statSync(p);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
    else out[p] = `${st.mtimeMs}:${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
  };
  for (const w of WATCHED) walk(w);
  return out;
}

let tmp: ReturnType<typeof memTempDir>;
beforeAll(() => {
  tmp = memTempDir('nvprobe-dry-');
  mkdirSync(join(tmp.dir, 'rules'));
  writeFileSync(join(tmp.dir, 'rules', 'reboot.yaml'), RULE);
});
afterAll(() => tmp.remove());

describe('tune --persist --dry-run', () => {
  it('shows the write, the baseline, the reboot and the verification; creates and changes nothing', async () => {
    const state = join(tmp.dir, 'state');
    const before = fingerprint();
    const r = await runCli(['tune', '--persist', '--reboot', '--dry-run', '--json', '--rules', join(tmp.dir, 'rules'), '--only', 'test-reboot-only', '--state-dir', state]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.dryRun).toBe(true);
    expect(doc.plan.rebootOnly.map((x: { action: { target: string } }) => x.action.target)).toEqual(['cmdline:nvme.poll_queues']);
    expect(doc.verify).toMatchObject({ armed: false, file: null, reboot: true });
    expect(doc.verify.expects.map((e: { kind: string }) => e.kind)).toEqual(expect.arrayContaining(['cmdline-word', 'module-param']));
    const steps: string = doc.verify.steps.join('\n');
    expect(steps).toMatch(/then reboot/);
    expect(steps).toMatch(/then verify/);
    expect(steps).toMatch(/nvme\.poll_queues=1/);
    expect(existsSync(state)).toBe(false);
    expect(fingerprint()).toEqual(before);
  });

  it('text: the same steps, without --reboot it says the reboot is yours (exit code 7)', async () => {
    const r = await runCli(['tune', '--persist', '--dry-run', '--rules', join(tmp.dir, 'rules'), '--only', 'test-reboot-only', '--state-dir', join(tmp.dir, 'state2')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/With --persist \(not done: dry run\):/);
    expect(r.stdout).toMatch(/then reboot when it suits you \(exit code 7/);
    expect(existsSync(join(tmp.dir, 'state2'))).toBe(false);
  });

  it('--reboot without --persist is bad input: one line, exit 2', async () => {
    const r = await runCli(['tune', '--reboot', '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('nvprobe: --reboot needs --persist: only persisted changes need a reboot');
  });
});

describe('exit codes 7 and 8 are documented', () => {
  it('in nvprobe --help, in verify/status/tune --help, and in the README table', async () => {
    const top = await runCli(['--help']);
    expect(top.stdout).toMatch(/^ +7 {2}reboot required: /m);
    expect(top.stdout).toMatch(/^ +8 {2}verify: /m);
    expect(top.stdout).toMatch(/NVPROBE_REBOOT_COMMAND/);
    expect((await runCli(['verify', '--help'])).stdout).toMatch(/Exit codes: 0 ok, 1 runtime failure, 2 bad input, 3 needs root, 7 reboot required, 8 verification failed/);
    expect((await runCli(['status', '--help'])).stdout).toMatch(/7 reboot required, 8 verification failed/);
    expect((await runCli(['tune', '--help'])).stdout).toMatch(/--reboot[\s\S]*7 reboot required/);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toMatch(/^\| 7 \| reboot required: /m);
    expect(readme).toMatch(/^\| 8 \| verification failed: /m);
  });
});

import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planPersistence } from '../../src/knobs/persist/persist-plan.js';
import type { ResolvedAction } from '../../src/contracts/actions.js';
import { Applier } from '../../src/tune/applier.js';
import { Journal } from '../../src/tune/journal.js';
import { expectationsFor, PENDING_VERIFY, pendingRecord, writeState } from '../../src/tune/pending-verify.js';
import { NVPROBE, REPO, runCli, runCommand } from '../helpers/cli.js';
import { missingCommands } from '../helpers/commands.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';
import { attachLoop, loopRules, queueAttrs, restoreQueueAttrs } from '../helpers/loop-target.js';
import { persistTree } from '../helpers/persist-root.js';

// The Ansible role (packaging/ansible/roles/nvprobe) run by Debian's ansible-playbook against
// localhost over the local connection, on a loop device this test attaches, with test rules
// (--rules/--only), its own state dir, and the checkout's bin/nvprobe (the package-install task is
// skipped: nvprobe_package ''). Nothing is rebooted: the reboot task runs only with nvprobe_reboot_ok.
const missing = missingCommands(['ansible-playbook', 'losetup']);
const ROLES = join(REPO, 'packaging/ansible/roles');

let tmp: ReturnType<typeof diskTempDir>;
let loop: ReturnType<typeof attachLoop>;
let original: Record<string, string>;
beforeAll(() => {
  if (missing.length) return;
  tmp = diskTempDir('nvprobe-ansible-');
  loop = attachLoop(tmp.dir);
  original = queueAttrs(loop.name);
});
afterAll(() => {
  if (missing.length) return;
  restoreQueueAttrs(loop.name, original);
  loop.detach();
  tmp.remove();
});

interface PlayResult {
  code: number;
  stats: { ok: number; changed: number; failures: number; skipped: number };
  /** The result of each task by name (the last one of that name). */
  tasks: Map<string, Record<string, unknown>>;
  out: string;
}

let n = 0;
/** ansible-playbook with the json callback: the recap's counts and every task's result. */
async function play(vars: Record<string, unknown>, opts: { check?: boolean } = {}): Promise<PlayResult> {
  const dir = join(tmp.dir, `play${n++}`);
  mkdirSync(dir, { recursive: true });
  const book = join(dir, 'play.yml');
  writeFileSync(
    book,
    `- hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: nvprobe
  post_tasks:
    - name: facts
      ansible.builtin.debug:
        msg: "{{ {'reboot_required': nvprobe_reboot_required | default(None), 'kept': nvprobe_kept | default(None), 'reverted': nvprobe_reverted | default(None)} }}"
`,
  );
  writeFileSync(
    join(dir, 'vars.json'),
    JSON.stringify({ nvprobe_package: '', nvprobe_command: NVPROBE, nvprobe_verify_unit: '', nvprobe_lock_delay: 2, ansible_python_interpreter: '/usr/bin/python3', ...vars }),
  );
  const r = await runCommand('ansible-playbook', ['-i', 'localhost,', book, '-e', `@${join(dir, 'vars.json')}`, ...(opts.check ? ['--check'] : [])], {
    timeout: 300_000,
    env: {
      ...process.env,
      ANSIBLE_ROLES_PATH: ROLES,
      ANSIBLE_STDOUT_CALLBACK: 'json',
      ANSIBLE_HOME: join(dir, 'home'),
      ANSIBLE_LOCAL_TEMP: join(dir, 'tmp'),
      ANSIBLE_REMOTE_TEMP: join(dir, 'rtmp'),
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_RETRY_FILES_ENABLED: '0',
    },
  });
  const out = `${r.stdout}${r.stderr}`;
  let doc: { plays: Array<{ tasks: Array<{ task: { name: string }; hosts: { localhost: Record<string, unknown> } }> }>; stats: { localhost: PlayResult['stats'] } };
  try {
    doc = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
  } catch {
    throw new Error(`ansible-playbook printed no JSON (exit ${r.code}, ${r.signal ?? 'no signal'}): ${out}`);
  }
  const tasks = new Map<string, Record<string, unknown>>();
  for (const p of doc.plays) for (const t of p.tasks) tasks.set(t.task.name.replace(/^nvprobe : /, ''), t.hosts.localhost);
  return { code: r.code ?? -1, stats: doc.stats.localhost, tasks, out };
}

/** Snapshot fields of the queue attributes the cases change. */
const FIELDS: Record<string, string> = { nomerges: 'disk.settings.nomerges', rq_affinity: 'disk.settings.rqAffinity' };

/**
 * loopRules (test/helpers/loop-target.ts), but each rule recommends its change only while the live
 * value differs, as the shipped rules do: a second run then finds nothing to do.
 */
function idempotentRules(actions: Array<{ attr: string; value: number }>): string {
  let k = 0;
  return loopRules(loop.name, actions).replace(/check: \{ field: disk\.transport, equals: loop \}/g, () => {
    const a = actions[k++]!;
    return `check: { all: [{ field: disk.transport, equals: loop }, { field: ${FIELDS[a.attr]}, notEquals: ${a.value} }] }`;
  });
}

function caseDir(actions: Array<{ attr: string; value: number }>) {
  const dir = join(tmp.dir, `case${n++}`);
  mkdirSync(join(dir, 'rules'), { recursive: true });
  writeFileSync(join(dir, 'rules', 'loop.yaml'), idempotentRules(actions));
  const state = join(dir, 'state');
  mkdirSync(state, { mode: 0o700 });
  const only = actions.map((a, i) => `test-loop-${i}-${a.attr.replace(/_/g, '-')}`);
  return {
    state,
    vars: {
      nvprobe_target: loop.dev,
      nvprobe_state_dir: state,
      nvprobe_rules_dir: join(dir, 'rules'),
      nvprobe_only: only,
      nvprobe_budget: '60s',
      nvprobe_tune_args: ['--round', '120ms', '--max-blocks', '8'],
    },
  };
}

/** Values away from the device's own (a loop device keeps its queue settings across attachments). */
const away = (attr: 'nomerges' | 'rq_affinity') => (attr === 'nomerges' ? (original.nomerges === '1' ? 2 : 1) : original.rq_affinity === '2' ? 1 : 2);

const facts = (r: PlayResult) => (r.tasks.get('facts') as { msg: { reboot_required: boolean | null; kept: string[] | null; reverted: Array<{ path: string }> | null } }).msg;

describe.skipIf(missing.length > 0)(`the Ansible role${missing.length ? ` (skipped: ${missing.join(', ')} not installed; test/system-deps.sh installs it as root)` : ''}`, () => {
  it('check mode runs tune --dry-run: the plan is reported, nothing changes (changed=0, no journal)', async () => {
    const c = caseDir([{ attr: 'nomerges', value: away('nomerges') }]);
    try {
      const r = await play(c.vars, { check: true });
      expect(r.code, r.out).toBe(0);
      expect(r.stats).toMatchObject({ changed: 0, failures: 0 });
      const tune = r.tasks.get('Tune (dry run in check mode)') as { cmd: string[]; stdout: string };
      expect(tune.cmd).toContain('--dry-run');
      expect(JSON.parse(tune.stdout)).toMatchObject({ kind: 'nvprobe.tune', dryRun: true, result: null });
      expect((r.tasks.get('Report') as { msg: string }).msg).toMatch(/^dry run: 1 change\(s\) to measure, 0 needing a reboot; reboot required: False$/);
      expect(queueAttrs(loop.name)).toEqual(original);
      expect(readdirSync(c.state)).toEqual([]);
    } finally {
      restoreQueueAttrs(loop.name, original);
    }
  });

  it('a host without nvprobe and no nvprobe_package: one clear message naming what to set, not a raw ENOENT', async () => {
    const r = await play({ nvprobe_command: join(tmp.dir, 'no-such-nvprobe') });
    expect(r.code).not.toBe(0);
    const msg = (r.tasks.get('Say what to set when nvprobe is missing') as { msg: string }).msg;
    expect(msg).toBe(
      `${join(tmp.dir, 'no-such-nvprobe')} is not on localhost: set nvprobe_package to the .deb or .rpm to install (e.g. -e nvprobe_package=packaging/out/nvprobe_0.1.0_amd64.deb), or nvprobe_command to where nvprobe is installed`,
    );
    expect(r.out).not.toMatch(/No such file or directory/);
    // Check mode passes and reports the same (a real run would stop there).
    const check = await play({ nvprobe_command: join(tmp.dir, 'no-such-nvprobe') }, { check: true });
    expect(check.code, check.out).toBe(0);
    expect((check.tasks.get('Report (check mode, nvprobe not installed yet)') as { msg: string }).msg).toBe(`check mode: a real run would stop here: ${msg}`);
  });

  it('nvprobe_watch: true without a textfile directory stops with what to set, before touching the timer', async (ctx) => {
    // Reads this machine's /etc/default/nvprobe (the role's fixed place): only where there is none.
    if (existsSync('/etc/default/nvprobe')) ctx.skip('/etc/default/nvprobe exists on this machine: the role would read its NVPROBE_TEXTFILE_DIR');
    const c = caseDir([{ attr: 'nomerges', value: away('nomerges') }]);
    const r = await play({ ...c.vars, nvprobe_watch: true }, { check: true });
    expect(r.code).not.toBe(0);
    expect((r.tasks.get('Say what the watch needs') as { msg: string }).msg).toBe(
      "nvprobe_watch: true needs a textfile directory: set nvprobe_textfile_dir (e.g. /var/lib/prometheus/node-exporter, node_exporter's --collector.textfile.directory), or NVPROBE_TEXTFILE_DIR in /etc/default/nvprobe on localhost",
    );
    expect([...r.tasks.keys()].some((t) => t.startsWith('nvprobe-watch.timer'))).toBe(false);
    // Left alone (null, the default): none of the watch's tasks run.
    const alone = await play(c.vars, { check: true });
    expect(alone.code, alone.out).toBe(0);
    expect(alone.tasks.has('Where the watch would write')).toBe(false);
  });

  it('check mode on a host without nvprobe yet, with nvprobe_package: passes, says a real run would install it, and copies nothing', async () => {
    const name = `nvprobe-check-${process.pid}-${n}_0.1.0_amd64.deb`;
    const pkg = join(tmp.dir, name);
    writeFileSync(pkg, 'not read in check mode\n');
    const dest = join(tmp.dir, `host-copy-${n}`, name);
    const r = await play({ nvprobe_command: join(tmp.dir, 'no-such-nvprobe'), nvprobe_package: pkg, nvprobe_package_dest: dest }, { check: true });
    expect(r.code, r.out).toBe(0);
    expect(r.stats.failures).toBe(0);
    expect((r.tasks.get('Report (check mode, nvprobe not installed yet)') as { msg: string }).msg).toBe(
      `check mode: nvprobe is not installed on this host yet; a real run installs ${name}, then runs nvprobe tune`,
    );
    expect(r.tasks.get('Install the .deb')).toMatchObject({ skipped: true });
    expect(existsSync(dest)).toBe(false);
  });

  it('a real run applies and reports what it kept (changed); a second run is idempotent (changed=0); revert puts it back, once', async () => {
    const c = caseDir([
      { attr: 'nomerges', value: away('nomerges') },
      { attr: 'rq_affinity', value: away('rq_affinity') },
    ]);
    const applied = { nomerges: String(away('nomerges')), rq_affinity: String(away('rq_affinity')) };
    try {
      const first = await play(c.vars);
      expect(first.code, first.out).toBe(0);
      expect(first.stats).toMatchObject({ changed: 1, failures: 0 });
      expect(facts(first)).toMatchObject({ reboot_required: false, kept: [`${loop.name}:queue/nomerges`, `${loop.name}:queue/rq_affinity`] });
      // The result the role reports is the final state against the original, interleaved at the end of the run.
      expect((first.tasks.get('Report') as { msg: string }).msg).toMatch(
        /^kept: \S+, \S+, final against original \(interleaved at the end of the run\): p50 ratio [\d.]+, interval [\d.-]+–[\d.-]+; reboot required: False$/,
      );
      expect(queueAttrs(loop.name)).toMatchObject(applied);
      const status = await runCli(['status', '--state-dir', c.state, '--json']);
      expect(JSON.parse(status.stdout).entries.map((e: { state: string }) => e.state)).toEqual(['applied', 'applied']);

      const second = await play(c.vars);
      expect(second.code, second.out).toBe(0);
      expect(second.stats).toMatchObject({ changed: 0, failures: 0 });
      expect(facts(second)).toMatchObject({ reboot_required: false, kept: [] });
      expect((second.tasks.get('Report') as { msg: string }).msg).toBe('kept: nothing; reboot required: False');
      expect(queueAttrs(loop.name)).toMatchObject(applied);

      const revert = await play({ ...c.vars, nvprobe_action: 'revert' });
      expect(revert.code, revert.out).toBe(0);
      expect(revert.stats).toMatchObject({ changed: 1, failures: 0 });
      expect(
        facts(revert)
          .reverted!.map((x) => x.path)
          .sort(),
      ).toEqual([`/sys/block/${loop.name}/queue/nomerges`, `/sys/block/${loop.name}/queue/rq_affinity`]);
      expect(queueAttrs(loop.name)).toEqual(original);
      const again = await play({ ...c.vars, nvprobe_action: 'revert' });
      expect(again.code, again.out).toBe(0);
      expect(again.stats).toMatchObject({ changed: 0, failures: 0 });
    } finally {
      restoreQueueAttrs(loop.name, original);
    }
  });

  it('reboot-only changes persisted and not yet verified: nvprobe_reboot_required is true, tune is not run, nothing is rebooted', async () => {
    // What tune --persist leaves behind, made by nvprobe's own journal, applier and persistence
    // planner: the kernel command line of a captured Debian 12 tree (grub) rewritten, and the
    // verification armed in the state dir. tune --persist writes this machine's boot configuration,
    // which a test must not do; status reads the state dir alone, as the role does.
    const c = caseDir([{ attr: 'nomerges', value: away('nomerges') }]);
    const tree = persistTree('persist-debian12-grub');
    try {
      const POLL: ResolvedAction = { kind: 'kernel-cmdline', target: 'cmdline:nvme.poll_queues', param: 'nvme.poll_queues', value: 1, runtime: false, reboot: true };
      const journal = Journal.open(c.state);
      journal.append({ t: 'run', run: 'run-persist', at: new Date().toISOString(), command: 'tune', nvprobeVersion: 'test' });
      const applier = new Applier(tree.root(), journal, 'run-persist');
      const plan = planPersistence(tree.root(), [POLL]);
      expect(plan.writes.length).toBeGreaterThan(0);
      for (const w of plan.writes) applier.apply(w.write, `persist: ${w.description}`);
      journal.append({ t: 'end', run: 'run-persist', status: 'complete' });
      const target = join(tree.dir, 'target');
      writeOffsetFile(target, 64);
      writeState(
        c.state,
        PENDING_VERIFY,
        pendingRecord({
          run: 'run-persist',
          rebootOnly: [POLL],
          expects: expectationsFor([POLL], null),
          reboot: false,
          settings: { target, engine: 'psync2', blockSize: 4096, spanBytes: 64 * 4096, roundMs: 80 },
          baselineRoundsP50Us: [50, 50, 50],
          kernelClock: null,
        }),
      );
      expect((await runCli(['status', '--state-dir', c.state, '--json'])).code).not.toBe(0);

      const r = await play({ ...c.vars, nvprobe_persist: true });
      expect(r.code, r.out).toBe(0);
      expect(r.stats).toMatchObject({ changed: 0, failures: 0 });
      expect(facts(r).reboot_required).toBe(true);
      expect(r.tasks.get('Tune (dry run in check mode)')).toMatchObject({ skipped: true });
      expect((r.tasks.get('Report') as { msg: string }).msg).toBe('a verification armed by run run-persist waits for the reboot: not tuning; reboot required: True');
      expect(r.tasks.get('Reboot')).toMatchObject({ skipped: true });
      expect(queueAttrs(loop.name)).toEqual(original);
      expect(existsSync(join(c.state, PENDING_VERIFY))).toBe(true);
    } finally {
      tree.remove();
      restoreQueueAttrs(loop.name, original);
    }
  });
});

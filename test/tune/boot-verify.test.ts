import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planPersistence } from '../../src/knobs/persist/persist-plan.js';
import type { ResolvedAction } from '../../src/contracts/actions.js';
import { Applier } from '../../src/tune/applier.js';
import { Journal } from '../../src/tune/journal.js';
import { measureRounds, VERIFY_ROUNDS } from '../../src/tune/boot-verify.js';
import type { HostReference } from '../../src/contracts/boot-verdict.js';
import { openTarget } from '../../src/measure/probe-pipeline.js';
import { Root } from '../../src/host/root.js';
import { expectationsFor, LAST_VERDICT, MAX_BOOTS, PENDING_VERIFY, pendingRecord, writeState } from '../../src/tune/pending-verify.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { diskTempDir, writeOffsetFile } from '../helpers/files.js';
import { attachLoop, loopRules } from '../helpers/loop-target.js';
import { persistTree, putFiles, type PersistTree } from '../helpers/persist-root.js';

// "The next boot", offline: tune --persist's journaled writes into a captured Debian tree, the armed
// record, then the tree edited the way the reboot leaves it (the word on /proc/cmdline, the module
// parameter in /sys) and `nvprobe verify --root TREE`. The measurement is real, on a file on disk.
const POLL: ResolvedAction = { kind: 'kernel-cmdline', target: 'cmdline:nvme.poll_queues', param: 'nvme.poll_queues', value: 1, runtime: false, reboot: true };

let tmp: ReturnType<typeof diskTempDir>;
let target: string;
beforeAll(() => {
  tmp = diskTempDir('nvprobe-verify-');
  target = join(tmp.dir, 'target');
  writeOffsetFile(target, 4096);
});
afterAll(() => tmp.remove());

let n = 0;
function armed(o: { baselineUs: number; reboot: boolean; boots?: number }): { tree: PersistTree; state: string; before: string | null; marker: string; env: NodeJS.ProcessEnv } {
  const tree = persistTree('persist-debian12-grub');
  const state = join(tmp.dir, `state${n++}`);
  const before = tree.read('/etc/default/grub');
  const journal = Journal.open(state);
  const run = `run-${n}`;
  journal.append({ t: 'run', run, at: new Date().toISOString(), command: 'tune', nvprobeVersion: 'test' });
  const applier = new Applier(tree.root(), journal, run);
  const plan = planPersistence(tree.root(), [POLL]);
  expect(plan.writes.length).toBeGreaterThan(0);
  for (const w of plan.writes) applier.apply(w.write, `persist: ${w.description}`);
  journal.append({ t: 'end', run, status: 'complete' });
  const record = {
    ...pendingRecord({
      run,
      rebootOnly: [POLL],
      expects: expectationsFor([POLL], null),
      reboot: o.reboot,
      settings: { target, engine: 'psync2', blockSize: 4096, spanBytes: 4096 * 4096, roundMs: 80 },
      baselineRoundsP50Us: Array.from({ length: VERIFY_ROUNDS }, () => o.baselineUs),
      kernelClock: null,
      // Armed on this tree, in the boot its boot id names (booted() gives it a new one).
      bootId: ARMED_BOOT,
      root: realpathSync(tree.dir),
    }),
    boots: o.boots ?? 0,
  };
  putFiles(tree.dir, { '/proc/sys/kernel/random/boot_id': `${ARMED_BOOT}\n` });
  writeState(state, PENDING_VERIFY, record);
  const marker = join(tmp.dir, `rebooted${n}`);
  return { tree, state, before, marker, env: { ...process.env, NVPROBE_REBOOT_COMMAND: `touch ${marker}` } };
}

/** The tree as the next boot shows it: the word on the running command line, the parameter in effect. */
function booted(tree: PersistTree, withWord = true): void {
  const cmdline = readFileSync(join(tree.dir, 'proc/cmdline'), 'utf8').trim();
  putFiles(tree.dir, {
    '/proc/sys/kernel/random/boot_id': 'e0c4a4b6-9a51-4d0e-8a7e-2f0d5c1b7a42\n',
    '/proc/cmdline': `${cmdline}${withWord ? ' nvme.poll_queues=1' : ''}\n`,
    '/sys/module/nvme/parameters/poll_queues': withWord ? '1\n' : '0\n',
  });
}

const ARMED_BOOT = '6f1f2d8e-3c1b-4d5e-9f00-0a1b2c3d4e5f';

const verify = (a: ReturnType<typeof armed>) => runCli(['verify', '--root', a.tree.dir, '--state-dir', a.state, '--settle', '0s', '--json'], { env: a.env });

describe('nvprobe verify: the boot after tune --persist', () => {
  it('expectations: the word on the command line and the module parameter; poll queues on the measured disk', () => {
    expect(expectationsFor([POLL], 'nvme0n1')).toEqual([
      { kind: 'cmdline-word', change: POLL.target, word: 'nvme.poll_queues=1' },
      { kind: 'module-param', change: POLL.target, module: 'nvme', param: 'poll_queues', value: '1' },
      { kind: 'disk-poll', change: POLL.target, disk: 'nvme0n1' },
    ]);
    // virtio_blk's word says nothing about the measured NVMe disk's queues (its driver known: nvme).
    const virtioPoll: ResolvedAction = { ...POLL, target: 'cmdline:virtio_blk.poll_queues', param: 'virtio_blk.poll_queues' };
    expect(expectationsFor([virtioPoll], 'nvme0n1', 'nvme').map((e) => e.kind)).toEqual(['cmdline-word', 'module-param']);
    expect(expectationsFor([POLL], 'nvme0n1', 'nvme').map((e) => e.kind)).toEqual(['cmdline-word', 'module-param', 'disk-poll']);
    // Two findings asking for the same word (vda and vdb without poll queues): one set of expectations, one change.
    expect(expectationsFor([POLL, { ...POLL }], 'nvme0n1')).toEqual(expectationsFor([POLL], 'nvme0n1'));
    expect(
      pendingRecord({
        run: 'r',
        rebootOnly: [POLL, { ...POLL }],
        expects: [],
        reboot: false,
        settings: { target: null, engine: 'psync2', blockSize: 4096, spanBytes: 4096, roundMs: 80 },
        baselineRoundsP50Us: [1],
        kernelClock: null,
      }).changes,
    ).toEqual([POLL.target]);
    const force: ResolvedAction = { kind: 'kernel-cmdline', target: 'cmdline:cpuidle_haltpoll.force', param: 'cpuidle_haltpoll.force', value: 1, runtime: false, reboot: true };
    expect(expectationsFor([force], null).map((e) => e.kind)).toEqual(['cmdline-word', 'cpuidle-driver']);
  });

  it('the record tune arms: a real baseline of VERIFY_ROUNDS rounds on a loop device with the host reference, boot counter 0, bound 2', async () => {
    const loop = attachLoop(tmp.dir);
    try {
      const opened = await openTarget(new Root('/'), { target: loop.dev, blockSize: 4096, rampMs: 0, cpu: null, engine: 'psync2', hipri: true }, () => {});
      let rounds: number[];
      let reference: HostReference;
      try {
        ({ roundsP50Us: rounds, reference } = await measureRounds(new Root('/'), opened.engine.engine, opened.target.spanBytes, 80, VERIFY_ROUNDS));
      } finally {
        opened.engine.engine.close();
      }
      expect(rounds).toHaveLength(VERIFY_ROUNDS);
      expect(reference.cpuWorkNs).toBeGreaterThan(0);
      // Steal is in /proc/stat on every kernel this runs on; over ~1 s it is a share, not a guess.
      expect(reference.stealShare).not.toBeNull();
      expect(reference.stealShare!).toBeGreaterThanOrEqual(0);
      expect(reference.stealShare!).toBeLessThan(1);
      for (const p50 of rounds) expect(p50).toBeGreaterThan(0);
      const rec = pendingRecord({
        run: 'r',
        rebootOnly: [POLL],
        expects: expectationsFor([POLL], loop.name),
        reboot: true,
        settings: { target: loop.dev, engine: opened.engine.engine.name, blockSize: 4096, spanBytes: opened.target.spanBytes, roundMs: 80 },
        baselineRoundsP50Us: rounds,
        reference,
        kernelClock: null,
      });
      expect(rec).toMatchObject({ boots: 0, maxBoots: MAX_BOOTS, reboot: true, changes: [POLL.target], baseline: { reference } });
      expect(MAX_BOOTS).toBe(2);
      const sorted = [...rounds].sort((x, y) => x - y);
      expect(rec.baseline.medianP50Us).toBe((sorted[5]! + sorted[6]!) / 2);
      expect(rec.expects.at(-1)).toEqual({ kind: 'disk-poll', change: POLL.target, disk: loop.name });
    } finally {
      loop.detach();
    }
  });

  it('in effect and faster than the saved baseline: kept, disarmed, the verdict recorded, no reboot', async () => {
    const a = armed({ baselineUs: 1e9, reboot: true });
    try {
      expect(a.tree.read('/etc/default/grub')).toMatch(/nvme\.poll_queues=1/);
      const status = await runCli(['status', '--root', a.tree.dir, '--state-dir', a.state, '--json']);
      expect(status.code).toBe(7);
      expect(JSON.parse(status.stdout).pending).toMatchObject({ verificationArmed: true, rebootRequired: true, changes: [POLL.target] });
      booted(a.tree);
      const since = await runCli(['status', '--root', a.tree.dir, '--state-dir', a.state, '--json']);
      expect(since.code).toBe(0);
      expect(JSON.parse(since.stdout).pending).toMatchObject({ verificationArmed: true, rebootRequired: false });
      const r = await verify(a);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc).toMatchObject({ kind: 'nvprobe.verify', armed: true, verdict: { verdict: 'kept', boot: 1, rebooting: false } });
      expect(doc.verdict.afterRoundsP50Us).toHaveLength(VERIFY_ROUNDS);
      // No host reference in this record (armed by hand): kept, and the reason says it was not guarded.
      expect(doc.verdict.reason).toMatch(/not guarded against a host change/);
      expect(doc.verdict.interval[1]).toBeLessThan(0.97);
      expect(doc.verdict.checks.every((c: { inEffect: boolean }) => c.inEffect)).toBe(true);
      expect(existsSync(join(a.state, PENDING_VERIFY))).toBe(false);
      expect(existsSync(join(a.state, LAST_VERDICT))).toBe(true);
      expect(a.tree.read('/etc/default/grub')).toMatch(/nvme\.poll_queues=1/);
      expect(existsSync(a.marker)).toBe(false);
      // Verified once: a second boot finds nothing armed.
      const again = await verify(a);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ armed: false, verdict: null });
      const after = await runCli(['status', '--root', a.tree.dir, '--state-dir', a.state, '--json']);
      expect(after.code).toBe(0);
      expect(JSON.parse(after.stdout)).toMatchObject({ pending: null, lastVerdict: { verdict: 'kept' } });
    } finally {
      a.tree.remove();
    }
  });

  it('in effect but no faster: reverted through the journal byte for byte, exit 8, and one reboot back (--reboot)', async () => {
    const a = armed({ baselineUs: 0.001, reboot: true });
    try {
      booted(a.tree);
      const r = await verify(a);
      expect(r.code).toBe(8);
      const doc = JSON.parse(r.stdout);
      expect(doc.verdict).toMatchObject({ verdict: 'reverted-no-gain', rebooting: true });
      expect(doc.verdict.reason).toMatch(/no gain of 3 % or more; the changes were reverted/);
      expect(a.tree.read('/etc/default/grub')).toBe(a.before);
      expect(existsSync(a.marker)).toBe(true);
      expect(existsSync(join(a.state, PENDING_VERIFY))).toBe(false);
      const status = await runCli(['status', '--root', a.tree.dir, '--state-dir', a.state, '--json']);
      expect(status.code).toBe(8);
    } finally {
      a.tree.remove();
    }
  });

  it('not in effect (the boot did not use the entry): says which and why, reverts without measuring', async () => {
    const a = armed({ baselineUs: 1e9, reboot: false });
    try {
      booted(a.tree, false);
      const r = await verify(a);
      expect(r.code).toBe(8);
      const v = JSON.parse(r.stdout).verdict;
      expect(v).toMatchObject({ verdict: 'reverted-not-in-effect', afterRoundsP50Us: null, rebooting: false });
      expect(v.reason).toMatch(/nvme\.poll_queues=1 is not on the running kernel's command line/);
      expect(v.reason).toMatch(/nvme\.poll_queues is 0, not 1/);
      expect(a.tree.read('/etc/default/grub')).toBe(a.before);
      expect(existsSync(a.marker)).toBe(false);
    } finally {
      a.tree.remove();
    }
  });

  it('bounded: a record that has already seen the bound of boots is reverted and disarmed, never measured, never rebooted', async () => {
    const a = armed({ baselineUs: 1e9, reboot: true, boots: MAX_BOOTS });
    try {
      booted(a.tree);
      const r = await verify(a);
      expect(r.code).toBe(8);
      expect(JSON.parse(r.stdout).verdict).toMatchObject({ verdict: 'reverted-boot-bound', boot: MAX_BOOTS + 1, afterRoundsP50Us: null, rebooting: false });
      expect(a.tree.read('/etc/default/grub')).toBe(a.before);
      expect(existsSync(a.marker)).toBe(false);
      expect(existsSync(join(a.state, PENDING_VERIFY))).toBe(false);
    } finally {
      a.tree.remove();
    }
  });

  it('the counter is durable before verify acts: a verification killed mid-way has counted its boot', async () => {
    const a = armed({ baselineUs: 1e9, reboot: true });
    try {
      booted(a.tree, false);
      // An unreadable journal stops verify after the count (as a crash would): the next boot sees boots = 1.
      const journal = join(a.state, 'journal.jsonl');
      const saved = readFileSync(journal, 'utf8');
      writeFileSync(journal, 'not json\n');
      const r = await verify(a);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n')[0]).toMatch(/^nvprobe: the journal .* is corrupt/);
      expect(JSON.parse(readFileSync(join(a.state, PENDING_VERIFY), 'utf8')).boots).toBe(1);
      writeFileSync(journal, saved);
    } finally {
      a.tree.remove();
    }
  });

  it('nvprobe revert before the reboot puts the files back and disarms: the boot has nothing to verify', async () => {
    const a = armed({ baselineUs: 1e9, reboot: true });
    try {
      const r = await runCli(['revert', '--root', a.tree.dir, '--state-dir', a.state, '--json']);
      expect(r.code).toBe(0);
      expect(a.tree.read('/etc/default/grub')).toBe(a.before);
      expect(existsSync(join(a.state, PENDING_VERIFY))).toBe(false);
      booted(a.tree);
      const v = await verify(a);
      expect(v.code).toBe(0);
      expect(JSON.parse(v.stdout)).toMatchObject({ armed: false });
      expect(existsSync(a.marker)).toBe(false);
    } finally {
      a.tree.remove();
    }
  });

  it('tune refuses (exit 2, one line) while a verification is armed, before changing anything', async () => {
    const a = armed({ baselineUs: 1e9, reboot: true });
    try {
      const journalBefore = readFileSync(join(a.state, 'journal.jsonl'), 'utf8');
      // Were the guard broken, this run would only touch a loop device the test attached (no --persist).
      const loop = attachLoop(tmp.dir);
      let r: CliResult;
      try {
        const rules = join(tmp.dir, `rules${n}`);
        mkdirSync(rules);
        writeFileSync(join(rules, 'loop.yaml'), loopRules(loop.name, [{ attr: 'nomerges', value: 2 }]));
        r = await runCli(['tune', loop.dev, '--yes', '--rules', rules, '--only', 'test-loop-0-nomerges', '--state-dir', a.state, '--round', '50ms', '--max-blocks', '8', '--budget', '10s']);
      } finally {
        loop.detach();
      }
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toMatch(/^nvprobe: run run-\d+ \(armed .*\) wrote cmdline:nvme\.poll_queues for the next boot and its verification is still pending/);
      expect(readFileSync(join(a.state, 'journal.jsonl'), 'utf8')).toBe(journalBefore);
      expect(existsSync(join(a.state, PENDING_VERIFY))).toBe(true);
    } finally {
      a.tree.remove();
    }
  });

  it('nothing armed: says so on one line, exit 0, and writes nothing (no lock file in the state dir)', async () => {
    const dir = join(tmp.dir, 'nothing-armed');
    mkdirSync(dir);
    const r = await runCli(['verify', '--state-dir', dir, '--settle', '0s']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('nothing to verify: no tune --persist armed a verification\n');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('bad input: a state dir that does not exist is one stderr line and exit 2', async () => {
    const r = await runCli(['verify', '--state-dir', join(tmp.dir, 'missing'), '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toMatch(/^nvprobe: --state-dir .*missing: no such directory/);
  });
});

describe('nvprobe verify refuses to judge what it cannot', () => {
  it('in the boot tune --persist armed it in: exit 7, nothing judged, nothing reverted, no reboot, the record untouched', async () => {
    const a = armed({ baselineUs: 0.001, reboot: true });
    try {
      const grub = a.tree.read('/etc/default/grub');
      const record = readFileSync(join(a.state, PENDING_VERIFY), 'utf8');
      const journal = readFileSync(join(a.state, 'journal.jsonl'), 'utf8');
      const r = await verify(a);
      expect(r.code).toBe(7);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        /^nvprobe: the machine has not booted since tune --persist armed this verification \(boot id unchanged, run run-\d+\): nothing judged, nothing reverted\nhint: reboot first/,
      );
      expect(a.tree.read('/etc/default/grub')).toBe(grub);
      expect(readFileSync(join(a.state, PENDING_VERIFY), 'utf8')).toBe(record);
      expect(readFileSync(join(a.state, 'journal.jsonl'), 'utf8')).toBe(journal);
      expect(existsSync(join(a.state, LAST_VERDICT))).toBe(false);
      expect(existsSync(a.marker)).toBe(false);
    } finally {
      a.tree.remove();
    }
  });

  it("a run armed on one system is never judged on another: --root of a live run, or the live machine for a tree's run, exit 2, nothing changed", async () => {
    const a = armed({ baselineUs: 0.001, reboot: true });
    try {
      booted(a.tree, false);
      const grub = a.tree.read('/etc/default/grub');
      const record = readFileSync(join(a.state, PENDING_VERIFY), 'utf8');
      // The tree's run, verify on this machine.
      const live = await runCli(['verify', '--state-dir', a.state, '--settle', '0s', '--json'], { env: a.env });
      expect(live.code).toBe(2);
      expect(live.stderr).toMatch(
        /^nvprobe: run run-\d+ changed the tree .+, not this machine: verify judges only the system the changes were made on; nothing judged, nothing reverted\nhint: run nvprobe verify --root /,
      );
      // A live run (no root in its record), verify --root TREE.
      const rec = JSON.parse(record);
      delete rec.root;
      writeState(a.state, PENDING_VERIFY, rec);
      const tree = await verify(a);
      expect(tree.code).toBe(2);
      expect(tree.stderr).toMatch(
        /changed this machine, not the tree .+: verify judges only the system the changes were made on; nothing judged, nothing reverted\nhint: run nvprobe verify without --root/,
      );
      expect(a.tree.read('/etc/default/grub')).toBe(grub);
      expect(JSON.parse(readFileSync(join(a.state, PENDING_VERIFY), 'utf8')).boots).toBe(0);
      expect(existsSync(join(a.state, LAST_VERDICT))).toBe(false);
      expect(existsSync(a.marker)).toBe(false);
    } finally {
      a.tree.remove();
    }
  });
});

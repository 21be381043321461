import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { planPersistence } from '../../src/knobs/persist/persist-plan.js';
import type { ResolvedAction } from '../../src/contracts/actions.js';
import { runCli, runCommand } from '../helpers/cli.js';
import { makeTemp, removeTemp } from '../helpers/fixtures.js';
import { deleteFiles, persistTree, type PersistTree } from '../helpers/persist-root.js';

// tune --persist's writes go through the same journal as runtime ones: applied to copies of
// real systems' /etc and /boot, checked byte for byte, idempotent, and removed exactly by revert,
// also after a SIGKILL at any journal step.
const RUNNER = fileURLToPath(new URL('./persist-crash-runner.mjs', import.meta.url));
const ACTIONS: ResolvedAction[] = [
  { kind: 'queue-attr', target: 'vda:queue/scheduler', disk: 'vda', attr: 'scheduler', value: 'none', runtime: true, reboot: false },
  { kind: 'module-param', target: 'haltpoll.guest_halt_poll_ns', module: 'haltpoll', param: 'guest_halt_poll_ns', value: 100000, runtime: true, reboot: false },
  { kind: 'kernel-cmdline', target: 'cmdline:virtio_blk.poll_queues', param: 'virtio_blk.poll_queues', value: 1, runtime: false, reboot: true },
];
const trees: PersistTree[] = [];
const temps: string[] = [];
afterAll(() => {
  for (const t of trees) t.remove();
  temps.forEach(removeTemp);
});
function tree(scenario: string): PersistTree {
  const t = persistTree(scenario);
  trees.push(t);
  return t;
}
function persistRun(t: PersistTree, state: string, env: Record<string, string> = {}) {
  return runCommand(process.execPath, [RUNNER, t.dir, state, JSON.stringify(ACTIONS)], { env: { ...process.env, ...env } });
}

describe('tune --persist through the journal, on copies of real systems', () => {
  it.each(['persist-debian12-grub', 'persist-uki-kernel-install'])('%s: exact files, idempotent, revert restores byte for byte', async (scenario) => {
    const t = tree(scenario);
    const original = t.files();
    const state = makeTemp('nvprobe-persist-state-');
    temps.push(state);
    const r = await persistRun(t, state);
    expect(r.code, r.stderr).toBe(0);
    const after = t.files();
    const changed = Object.keys(after)
      .filter((p) => after[p] !== original[p])
      .sort();
    expect(changed.length).toBeGreaterThan(0);
    if (scenario === 'persist-debian12-grub') {
      expect(changed).toEqual(['/etc/default/grub', '/etc/udev/rules.d/60-nvprobe.rules']);
      expect(after['/etc/default/grub']).toBe(
        `${original['/etc/default/grub']}# BEGIN nvprobe (managed by nvprobe; \`nvprobe revert\` removes this block)\nGRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT haltpoll.guest_halt_poll_ns=100000 virtio_blk.poll_queues=1"\n# END nvprobe\n`,
      );
      expect(after['/etc/udev/rules.d/60-nvprobe.rules']).toContain('ACTION=="add|change", SUBSYSTEM=="block", KERNEL=="vda", ATTR{queue/scheduler}="none"');
    }
    // A second plan on the changed tree has nothing left to write.
    expect(planPersistence(t.root(), ACTIONS).writes).toEqual([]);
    const rv = await runCli(['revert', '--all', '--root', t.dir, '--state-dir', state]);
    expect(rv.code, rv.stderr).toBe(0);
    expect(t.files()).toEqual(original);
  });

  it('BLS entries edited as files where grubby is absent, and put back', async () => {
    const t = tree('persist-fedora39-bls');
    deleteFiles(t.dir, ['/usr/sbin/grubby']);
    const original = t.files();
    const state = makeTemp('nvprobe-persist-state-');
    temps.push(state);
    expect((await persistRun(t, state)).code).toBe(0);
    const entries = Object.keys(t.files()).filter((p) => p.startsWith('/boot/loader/entries/'));
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect(t.read(e)).toMatch(/^options .*virtio_blk\.poll_queues=1/m);
    expect((await runCli(['revert', '--all', '--root', t.dir, '--state-dir', state])).code).toBe(0);
    expect(t.files()).toEqual(original);
  });

  it('SIGKILL after every journal step: revert always restores the tree byte for byte', async () => {
    let crashed = 0;
    for (let n = 1; n <= 40; n++) {
      const t = persistTree('persist-debian12-grub');
      const state = makeTemp('nvprobe-persist-crash-');
      try {
        const original = t.files();
        const r = await persistRun(t, state, { NVPROBE_TEST_CRASH_AT: String(n) });
        const rv = await runCli(['revert', '--all', '--root', t.dir, '--state-dir', state]);
        expect(rv.code, `crash point ${n}: ${rv.stderr}`).toBe(0);
        expect(t.files(), `crash point ${n}`).toEqual(original);
        if (r.signal !== 'SIGKILL') break;
        crashed++;
      } finally {
        t.remove();
        removeTemp(state);
      }
    }
    expect(crashed).toBeGreaterThanOrEqual(5);
  });
});

describe('tune --persist on this machine', () => {
  it('has no boot loader mechanism here: says what to do by hand instead of guessing', () => {
    const tree = persistTree(null);
    try {
      const plan = planPersistence(tree.root(), [ACTIONS[2]!]);
      expect(plan.writes).toEqual([]);
      expect(plan.manual.join(' ')).toMatch(/virtio_blk\.poll_queues=1/);
    } finally {
      tree.remove();
    }
  });
});

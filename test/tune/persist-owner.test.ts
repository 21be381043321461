// A persisted boot file keeps its owner and mode, and revert gives them back with its bytes.
import { chmodSync, chownSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planPersistence } from '../../src/knobs/persist/persist-plan.js';
import type { ResolvedAction } from '../../src/contracts/actions.js';
import { Applier } from '../../src/tune/applier.js';
import { Journal } from '../../src/tune/journal.js';
import { undoRun } from '../../src/tune/session.js';
import { diskTempDir } from '../helpers/files.js';
import { persistTree } from '../helpers/persist-root.js';

const POLL: ResolvedAction = { kind: 'kernel-cmdline', target: 'cmdline:nvme.poll_queues', param: 'nvme.poll_queues', value: 1, runtime: false, reboot: true };

describe('persisted files keep their owner and mode', () => {
  it('/etc/default/grub of another owner, 0640: written with the same owner and mode, restored byte for byte with them', (ctx) => {
    if (process.geteuid?.() !== 0) ctx.skip('needs root to give the file another owner');
    const tree = persistTree('persist-debian12-grub');
    const state = diskTempDir('nvprobe-owner-');
    try {
      const grub = join(tree.dir, 'etc/default/grub');
      chownSync(grub, 65534, 4);
      chmodSync(grub, 0o640);
      const before = tree.read('/etc/default/grub');
      const journal = Journal.open(state.dir);
      journal.append({ t: 'run', run: 'r1', at: new Date().toISOString(), command: 'tune', nvprobeVersion: 'test' });
      const applier = new Applier(tree.root(), journal, 'r1');
      const plan = planPersistence(tree.root(), [POLL]);
      const w = plan.writes.find((x) => x.write.op === 'file' && x.write.path === '/etc/default/grub');
      expect(w, JSON.stringify(plan.writes.map((x) => x.write))).toBeDefined();
      for (const x of plan.writes) applier.apply(x.write, x.description);
      const written = statSync(grub);
      expect(tree.read('/etc/default/grub')).toMatch(/nvme\.poll_queues=1/);
      expect([written.uid, written.gid, written.mode & 0o7777]).toEqual([65534, 4, 0o640]);
      undoRun(applier, journal, 'r1');
      const back = statSync(grub);
      expect(tree.read('/etc/default/grub')).toBe(before);
      expect([back.uid, back.gid, back.mode & 0o7777]).toEqual([65534, 4, 0o640]);
    } finally {
      tree.remove();
      state.remove();
    }
  });
});

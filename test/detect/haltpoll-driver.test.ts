import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { captureSnapshot } from '../../src/cli/snapshot-capture.js';
import { detectSnapshot } from '../../src/detect/snapshot.js';
import { Root } from '../../src/host/root.js';
import { fixtureRoot, KVM_FIXTURE, makeTemp, QEMU_POLL0_FIXTURE, removeTemp } from '../helpers/fixtures.js';
import { haltpollDriverTree } from '../helpers/guest-trees.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeTemp(d);
});
const haltpollOf = (d: string) => detectSnapshot(new Root(d)).cpuidle.haltpoll;
const tree = (o: Parameters<typeof haltpollDriverTree>[0]) => {
  const d = haltpollDriverTree(o);
  dirs.push(d);
  return d;
};

describe('cpuidle-haltpoll: built in, a module, or absent', () => {
  it('captured trees: /sys/module/cpuidle_haltpoll without initstate is built in', () => {
    for (const f of [KVM_FIXTURE, QEMU_POLL0_FIXTURE]) {
      const h = haltpollOf(fixtureRoot(f));
      expect(h.driverModule).toBe('builtin');
      expect(h.driverModuleLoaded).toBe(true);
      expect(h.driverModuleEvidence).toMatch(/without initstate/);
    }
  });

  it('a loadable module, not loaded: modules.dep lists it, and the explanation says modprobe works', () => {
    const h = haltpollOf(tree({ driver: 'module' }));
    expect(h).toMatchObject({ driverModule: 'module', driverModuleLoaded: false, driverActive: false, absence: 'driver-not-loaded', forced: null });
    expect(h.driverModuleEvidence).toMatch(/modules\.dep lists cpuidle_haltpoll/);
    expect(h.explanation).toMatch(/modprobe cpuidle-haltpoll force=1/);
  });

  it('a loadable module, loaded (initstate live) but declined by nothing here', () => {
    const h = haltpollOf(tree({ driver: 'module', loaded: true }));
    expect(h).toMatchObject({ driverModule: 'module', driverModuleLoaded: true, forced: true });
    expect(h.driverModuleEvidence).toMatch(/initstate exists: loaded from a \.ko$/);
  });

  it('built in per modules.builtin: only the command line and a reboot', () => {
    const h = haltpollOf(tree({ driver: 'builtin' }));
    expect(h).toMatchObject({ driverModule: 'builtin', driverModuleLoaded: true, absence: 'driver-not-loaded' });
    expect(h.driverModuleEvidence).toMatch(/modules\.builtin lists/);
    expect(h.explanation).toMatch(/built in, so only cpuidle_haltpoll\.force=1/);
  });

  it('absent from both lists', () => {
    const h = haltpollOf(tree({ driver: 'absent' }));
    expect(h).toMatchObject({ driverModule: 'absent', driverModuleLoaded: false });
    expect(h.explanation).toMatch(/no cpuidle-haltpoll driver/);
  });

  it('snapshot capture keeps modules.builtin and modules.dep: the copy detects the same', () => {
    const src = tree({ driver: 'module' });
    const out = makeTemp();
    dirs.push(out);
    const copy = join(out, 'cap');
    captureSnapshot(copy, src);
    const release = readFileSync(join(src, 'proc/sys/kernel/osrelease'), 'utf8').trim();
    expect(readFileSync(join(copy, `lib/modules/${release}/modules.dep`), 'utf8')).toMatch(/cpuidle-haltpoll\.ko\.xz/);
    expect(haltpollOf(copy)).toMatchObject({ driverModule: 'module', driverModuleLoaded: false });
  });
});

// Regenerates the lab guests' captured roots: boots the guest with poll queues off, then on, runs
// `nvprobe snapshot` inside and replaces test/fixtures/roots/<scenario> with what comes back.
// `npm run vm:capture-fixtures` (builds first: the guest runs dist/).
import { mkdirSync, rmSync } from 'node:fs';
import { fixtureRoot, QEMU_POLL0_FIXTURE, QEMU_POLL1_FIXTURE } from '../helpers/fixtures.js';
import { bootGuest } from './lab/guest.js';

const SCENARIOS = [
  { scenario: QEMU_POLL0_FIXTURE, pollQueues: 0 },
  { scenario: QEMU_POLL1_FIXTURE, pollQueues: 1 },
];

for (const { scenario, pollQueues } of SCENARIOS) {
  const guest = await bootGuest({ pollQueues });
  try {
    const r = await guest.run('node bin/nvprobe snapshot /tmp/snap');
    if (r.exitCode !== 0) throw new Error(`nvprobe snapshot failed in the guest (${r.exitCode}): ${r.stderr.trim()}`);
    const dest = fixtureRoot(scenario);
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest, { recursive: true });
    await guest.fetchDir('/tmp/snap', dest);
    console.log(`${scenario} (kernel ${guest.kernelRelease}): ${r.stdout.trim().replace(/^wrote \S+: /, '')}`);
  } finally {
    await guest.shutdown();
  }
}

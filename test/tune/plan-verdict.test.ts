import { describe, expect, it } from 'vitest';
import { detectSnapshot } from '../../src/detect/snapshot.js';
import { Root } from '../../src/host/root.js';
import { evaluateRules } from '../../src/rules/evaluate.js';
import { defaultRuleDirs, loadRules } from '../../src/rules/load.js';
import { planTune, skipUnkeptRebootOnly } from '../../src/tune/plan.js';
import type { Verdict } from '../../src/contracts/boot-verdict.js';
import { fixtureRoot, QEMU_POLL0_FIXTURE } from '../helpers/fixtures.js';

// A QEMU guest captured without poll queues: tune proposes virtio_blk.poll_queues=1 for the next
// boot. Once a boot-time verification has reverted it, a rerun (a playbook, a boot step) must not
// write, reboot and revert it again for the same verdict, unless the user names it.
const root = new Root(fixtureRoot(QEMU_POLL0_FIXTURE));
const findings = evaluateRules(detectSnapshot(root), loadRules(defaultRuleDirs()).rules);
const plan = planTune(root, findings, 'vda');
const pollQueues = plan.rebootOnly.find((r) => r.action.target.includes('virtio_blk.poll_queues'));

function verdict(v: Verdict['verdict'], change: string): Verdict {
  return {
    run: '2026-12-01T10-00-00-000Z-abcd',
    at: '2026-12-01T10:05:00.000Z',
    boot: 1,
    verdict: v,
    reason: 'median p50 …: no gain of 3 % or more',
    checks: [{ kind: 'cmdline-word', change, word: 'virtio_blk.poll_queues=1', inEffect: true, live: 'virtio_blk.poll_queues=1', why: null }],
    baselineMedianP50Us: 300,
    afterRoundsP50Us: null,
    afterMedianP50Us: 310,
    ratio: 1.03,
    margin: 0.03,
    rebooting: false,
  };
}

describe('a reboot-only change the last verification did not keep', () => {
  it('is the premise: the captured guest gets virtio_blk.poll_queues=1 proposed for the next boot', () => {
    expect(pollQueues, JSON.stringify(plan.rebootOnly.map((r) => r.action.target))).toBeDefined();
  });

  it('is listed as not tried, with the verdict and how to ask for it again', () => {
    const p = skipUnkeptRebootOnly(plan, verdict('reverted-no-gain', pollQueues!.action.target), false);
    expect(p.rebootOnly.map((r) => r.action.target)).not.toContain(pollQueues!.action.target);
    const skipped = p.skipped.find((k) => k.action.target === pollQueues!.action.target)!;
    expect(skipped.reason).toBe(
      `the boot-time verification of run 2026-12-01T10-00-00-000Z-abcd (2026-12-01T10:05:00.000Z) did not keep it: reverted-no-gain; tried again only when named, e.g. --only ${pollQueues!.findingId}`,
    );
  });

  it('is proposed again when named with --only, after a kept verdict, or when the verdict judged something else', () => {
    const target = pollQueues!.action.target;
    for (const p of [
      skipUnkeptRebootOnly(plan, verdict('reverted-no-gain', target), true),
      skipUnkeptRebootOnly(plan, verdict('kept', target), false),
      skipUnkeptRebootOnly(plan, verdict('reverted-no-gain', 'cmdline:nvme.poll_queues'), false),
      skipUnkeptRebootOnly(plan, null, false),
    ])
      expect(p.rebootOnly.map((r) => r.action.target)).toContain(target);
  });
});

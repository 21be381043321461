import { knobKind } from '../knobs/kinds.js';
import type { Root } from '../host/root.js';
import type { ResolvedAction } from '../contracts/actions.js';
import type { Finding } from '../contracts/rule-types.js';
import type { PlannedChange, TunePlan } from '../contracts/tune-plan.js';
import type { Verdict } from '../contracts/boot-verdict.js';

/**
 * Turn findings into the changes a run will measure. A per-disk change (a queue attribute) is
 * measurable only on the disk the probe reads; machine-wide ones (haltpoll, PM QoS) always are.
 * Order: machine-wide first (they move every later figure), then per-disk ones.
 */
export function planTune(root: Root, findings: Finding[], targetDisk: string | null, opts: { named?: boolean } = {}): TunePlan {
  const plan: TunePlan = { changes: [], rebootOnly: [], skipped: [] };
  for (const f of findings) {
    if (f.status !== 'recommend') continue;
    for (const action of f.actions) {
      // A change that gives something up (monitoring) is tried only when the user names it.
      if (f.tradeoff && !opts.named) {
        plan.skipped.push({ findingId: f.id, action, reason: `a trade-off (gives up: ${f.tradeoff}): tried only when named, e.g. --only ${f.ruleId}` });
        continue;
      }
      const kind = knobKind(action.kind);
      if (kind.takesEffect === 'boot') {
        plan.rebootOnly.push({ findingId: f.id, title: f.title, action, reason: rebootReason(f, action) });
        continue;
      }
      if (kind.scope === 'disk' && action.disk !== targetDisk) {
        plan.skipped.push({ findingId: f.id, action, reason: `the probe reads ${targetDisk ?? 'no block device'}, not ${action.disk}: give ${action.disk} as TARGET to tune it` });
        continue;
      }
      plan.changes.push({ findingId: f.id, title: f.title, action, from: kind.knob.read(root, action), prerequisite: f.prerequisite });
    }
  }
  const perDiskLast = (c: PlannedChange) => (knobKind(c.action.kind).scope === 'disk' ? 1 : 0);
  plan.changes.sort((a, b) => perDiskLast(a) - perDiskLast(b));
  return plan;
}

/** E.g. "cpuidle-haltpoll is not in use ... (read: cpuidle.haltpoll.absence = driver-not-loaded ...); only read at boot ...". */
function rebootReason(f: Finding, action: ResolvedAction): string {
  const read = f.evidence.map((e) => `${e.field} = ${typeof e.value === 'string' ? e.value : JSON.stringify(e.value)}${e.source ? ` (${e.source})` : ''}`).join('; ');
  return `${f.title} (read: ${read}); ${action.target} = ${action.value} is only read at boot, so no change tune can make at runtime does this: it needs a reboot`;
}

/**
 * A reboot-only change the last boot-time verification did not keep is not proposed again unless
 * the user names it (--only): otherwise every rerun of a fleet's playbook or boot step would
 * write it, reboot, measure and revert it once more, for the same verdict.
 */
export function skipUnkeptRebootOnly(plan: TunePlan, last: Verdict | null, named: boolean): TunePlan {
  if (!last || last.verdict === 'kept' || named) return plan;
  const judged = new Set((last.checks ?? []).map((c) => c.change));
  const keep = plan.rebootOnly.filter((r) => !judged.has(r.action.target));
  const dropped = plan.rebootOnly.filter((r) => judged.has(r.action.target));
  return {
    ...plan,
    rebootOnly: keep,
    skipped: [
      ...plan.skipped,
      ...dropped.map((r) => ({
        findingId: r.findingId,
        action: r.action,
        reason: `the boot-time verification of run ${last.run} (${last.at}) did not keep it: ${last.verdict}; tried again only when named, e.g. --only ${r.findingId}`,
      })),
    ],
  };
}

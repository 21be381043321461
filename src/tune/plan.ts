import { isRuntimeKind, runtimeKnob } from '../knobs/index.js';
import type { Root } from '../host/root.js';
import type { Finding, ResolvedAction } from '../rules/types.js';
import type { PlannedChange, TunePlan } from '../contracts/tune-plan.js';

/**
 * Turn findings into the changes a run will measure. A queue change is measurable only on the
 * disk the probe reads; machine-wide ones (haltpoll, PM QoS) always are. Order: machine-wide
 * first (they move every later figure), then per-disk ones.
 */
export function planTune(root: Root, findings: Finding[], targetDisk: string | null): TunePlan {
  const plan: TunePlan = { changes: [], rebootOnly: [], skipped: [] };
  for (const f of findings) {
    if (f.status !== 'recommend') continue;
    for (const action of f.actions) {
      if (!isRuntimeKind(action.kind)) {
        plan.rebootOnly.push({ findingId: f.id, title: f.title, action, reason: rebootReason(f, action) });
        continue;
      }
      if (action.kind === 'queue-attr' && action.disk !== targetDisk) {
        plan.skipped.push({ findingId: f.id, action, reason: `the probe reads ${targetDisk ?? 'no block device'}, not ${action.disk}: give ${action.disk} as TARGET to tune it` });
        continue;
      }
      plan.changes.push({ findingId: f.id, title: f.title, action, from: runtimeKnob(action.kind).read(root, action), prerequisite: f.prerequisite });
    }
  }
  const machineWide = (c: PlannedChange) => (c.action.kind === 'queue-attr' ? 1 : 0);
  plan.changes.sort((a, b) => machineWide(a) - machineWide(b));
  return plan;
}

/** E.g. "cpuidle-haltpoll is not in use ... (read: cpuidle.haltpoll.absence = driver-not-loaded ...); only read at boot ...". */
function rebootReason(f: Finding, action: ResolvedAction): string {
  const read = f.evidence.map((e) => `${e.field} = ${typeof e.value === 'string' ? e.value : JSON.stringify(e.value)}${e.source ? ` (${e.source})` : ''}`).join('; ');
  return `${f.title} (read: ${read}); ${action.target} = ${action.value} is only read at boot, so no change tune can make at runtime does this: it needs a reboot`;
}

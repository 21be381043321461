import type { Snapshot } from '../../src/contracts/detect-document.js';

const UUID_OR_PLACEHOLDER = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|REDACTED-uuid-\d+/gi;

/**
 * A Snapshot without what a capture changes on purpose or what changes by itself between two
 * reads: idle-state and IRQ counters, the time since boot, redacted identifiers, init's arguments, and loop/zram
 * devices (other users of a shared machine attach and detach loops at any time).
 */
export function stableView(s: Snapshot): unknown {
  const copy = structuredClone(s);
  for (const cpu of copy.cpuidle.perCpu) {
    for (const st of cpu.states) {
      st.usage = null;
      st.timeUs = null;
    }
  }
  // Since boot grows by the second (its shares are rounded to hold still); older documents have no steal.
  if (copy.steal?.sinceBoot) copy.steal.sinceBoot.seconds = 0;
  if (copy.kernel.cmdline) {
    copy.kernel.cmdline.raw = copy.kernel.cmdline.raw.split(' -- ')[0]!.replace(UUID_OR_PLACEHOLDER, '<uuid>');
    for (const [k, v] of Object.entries(copy.kernel.cmdline.params)) if (typeof v === 'string') copy.kernel.cmdline.params[k] = v.replace(UUID_OR_PLACEHOLDER, '<uuid>');
  }
  const transient = new Set(copy.disks.filter((d) => d.transport === 'loop' || d.transport === 'zram').map((d) => d.name));
  return {
    ...copy,
    disks: copy.disks.map((d) => (transient.has(d.name) ? { name: d.name, transport: d.transport } : { ...d, ids: null, irqs: d.irqs.map((i) => ({ ...i, count: null })) })),
    unavailable: copy.unavailable.filter((u) => ![...transient].some((n) => u.path.includes(`/${n}/`))),
  };
}

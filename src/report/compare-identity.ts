import type { CompareIdentity, CompareSide } from '../contracts/compare-document.js';
import { inputWords } from './compare-config.js';
import type { ReportModel } from './report-model.js';

/** What a report says about where its input came from, for the header. */
export function compareSide(m: ReportModel): CompareSide {
  const made = m.manifest?.createdAt ?? m.run?.createdAt ?? m.probe?.createdAt;
  const version = m.manifest?.nvprobeVersion ?? m.run?.nvprobeVersion ?? m.probe?.nvprobeVersion;
  return {
    source: m.source,
    sourceKind: m.sourceKind,
    createdAt: typeof made === 'string' ? made : null,
    nvprobeVersion: typeof version === 'string' ? version : null,
    hostToken: typeof m.manifest?.hostToken === 'string' ? m.manifest.hostToken : null,
    redacted: typeof m.manifest?.redacted === 'boolean' ? m.manifest.redacted : null,
  };
}

/**
 * One machine or two, by the bundles' machine tokens (bundle-identity.ts: a keyed hash of the
 * machine id and host name, the same redacted or not), never by a host name: clones share names,
 * and a redacted bundle has none. Unknown where a side has no token.
 */
export function compareIdentity(a: ReportModel, b: ReportModel): CompareIdentity {
  const ta = machineTokenOf(a);
  const tb = machineTokenOf(b);
  const when = `collected ${compareSide(a).createdAt ?? 'at an unknown time'} and ${compareSide(b).createdAt ?? 'at an unknown time'}`;
  if ('token' in ta && 'token' in tb) {
    return ta.token === tb.token ? { verdict: 'same-machine', sentence: `the same machine at two times (${when})` } : { verdict: 'two-machines', sentence: `two machines (${when})` };
  }
  const why = [ta, tb].flatMap((t, i) => ('why' in t ? [`${i === 0 ? 'A' : 'B'} ${t.why}`] : []));
  return { verdict: 'unknown', sentence: `one machine or two is unknown: ${why.join('; ')} (${when})` };
}

function machineTokenOf(m: ReportModel): { token: string } | { why: string } {
  if (!m.manifest) return { why: `is ${inputWords(m)}, which carries no machine identity` };
  const t = m.manifest.machineToken;
  if (typeof t === 'string' && t !== '') return { token: t };
  if (t === null) return { why: 'comes from a machine without /etc/machine-id' };
  // Bundles written before machineToken: a redacted one's host token is the same hash (random where
  // the machine had no machine id, so two such bundles of one machine would read as two machines).
  if (m.manifest.redacted === true && typeof m.manifest.hostToken === 'string') return { token: m.manifest.hostToken };
  return { why: 'is an older unredacted bundle, which names its machine only by host name' };
}

import type { TarEntry } from '../host/tar.js';
import { redactMember } from './member.js';
import type { Redactor } from './redactor.js';
import type { CollectorRecord } from '../contracts/collect-document.js';

/**
 * One thing a collector hands over: a file (its text is redacted on the way in, see
 * redactMember; there is no unredacted way in), a symlink or a directory.
 */
export type CollectedItem = { kind: 'file'; path: string; text: string } | { kind: 'link'; path: string; target: string } | { kind: 'dir'; path: string };

export interface CollectContext {
  redactor: Redactor;
  /** Say what is happening (progress on a TTY). */
  say(text: string): void;
  /** The abort signal of this collector's timeout. */
  signal: AbortSignal;
}

/**
 * A collector declares what it gathers and its budget; the engine runs it, enforces the
 * per-item size limit, the timeout and the whole bundle's size, and records the outcome.
 */
export interface Collector {
  name: string;
  /** What it gathers, in words (shown in manifest.json). */
  gathers: string;
  timeoutMs: number;
  /** Per file: a longer one is cut here and marked truncated. */
  maxItemBytes: number;
  /** Why it does not run at all (--no-probe), or null. */
  skip?: string | null;
  /** `skipped`: nothing to gather here (e.g. the kernel log is not readable), with why. */
  collect(ctx: CollectContext): Promise<CollectedItem[] | { items: CollectedItem[]; truncated?: string[]; note?: string; skipped?: string }>;
}

const TRUNCATED_MARK = '\n[nvprobe: truncated here]\n';

export async function runCollectors(
  collectors: readonly Collector[],
  o: { redactor: Redactor; say(text: string): void; maxBundleBytes: number },
): Promise<{ entries: TarEntry[]; records: CollectorRecord[] }> {
  const entries: TarEntry[] = [];
  const records: CollectorRecord[] = [];
  let total = 0;
  for (const c of collectors) {
    const started = new Date();
    const t0 = performance.now();
    const rec: CollectorRecord = {
      name: c.name,
      gathers: c.gathers,
      status: 'ok',
      reason: null,
      startedAt: started.toISOString(),
      ms: 0,
      files: 0,
      bytes: 0,
      truncated: [],
      timedOut: false,
      timeoutMs: c.timeoutMs,
      maxItemBytes: c.maxItemBytes,
    };
    records.push(rec);
    if (c.skip) {
      rec.status = 'skipped';
      rec.reason = c.skip;
      continue;
    }
    o.say(`collecting ${c.name}`);
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        ac.abort();
        resolve('timeout');
      }, c.timeoutMs);
    });
    try {
      const got = await Promise.race([c.collect({ redactor: o.redactor, say: o.say, signal: ac.signal }), timeout]);
      if (got === 'timeout') {
        rec.status = 'timeout';
        rec.timedOut = true;
        rec.reason = `did not finish within ${c.timeoutMs} ms`;
      } else {
        const { items, truncated = [], note, skipped } = Array.isArray(got) ? { items: got } : got;
        rec.truncated.push(...truncated);
        if (note) rec.reason = note;
        if (skipped) {
          rec.status = 'skipped';
          rec.reason = skipped;
        }
        for (const item of items) {
          const entry = toEntry(item, c.maxItemBytes, o.redactor, rec, o.maxBundleBytes - total);
          if (entry === null) continue;
          entries.push(entry);
          if (entry.kind === 'file') {
            rec.files++;
            rec.bytes += entry.data.length;
            total += entry.data.length;
          }
        }
      }
    } catch (err) {
      rec.status = 'failed';
      rec.reason = err instanceof Error ? err.message : String(err);
    } finally {
      clearTimeout(timer);
      rec.ms = Math.round(performance.now() - t0);
    }
  }
  return { entries, records };
}

function toEntry(item: CollectedItem, maxItem: number, redactor: Redactor, rec: CollectorRecord, room: number): TarEntry | null {
  if (item.kind === 'dir') return { kind: 'dir', name: item.path };
  if (item.kind === 'link') return { kind: 'link', name: item.path, target: item.target };
  let data = redactMember(redactor, item.path, item.text);
  const limit = Math.min(maxItem, Math.max(0, room));
  if (data.length > limit) {
    if (limit < TRUNCATED_MARK.length) {
      rec.truncated.push(item.path);
      return null; // the bundle is full
    }
    data = Buffer.concat([data.subarray(0, limit - TRUNCATED_MARK.length), Buffer.from(TRUNCATED_MARK)]);
    rec.truncated.push(item.path);
  }
  return { kind: 'file', name: item.path, data, mode: 0o600 };
}

import * as path from 'node:path';
import type { Snapshot } from '../contracts/detect-document.js';
import { detectSnapshot } from '../detect/snapshot.js';
import { withRunSteal } from '../detect/steal.js';
import { redactCapture } from '../detect/redact.js';
import { readKernelLog } from '../host/kernel-log.js';
import { RecordingRoot } from '../host/recording-root.js';
import { Root } from '../host/root.js';
import { listStateFiles } from '../host/state-files.js';
import type { LoadedRules } from '../rules/load.js';
import type { ProbeReport } from '../contracts/probe-document.js';
import type { CollectedItem, Collector } from './engine.js';
import { BUNDLE_PATHS } from './format.js';

export interface CollectorOptions {
  probe: { skip: string | null; durationMs: number; run(signal: AbortSignal, say: (t: string) => void): Promise<ProbeReport> };
  stateDir: string;
  rules: () => LoadedRules;
  version: () => Record<string, unknown>;
  checkDocument: (snapshot: Snapshot, rules: LoadedRules) => unknown;
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** Kernel log lines worth a support engineer's time: storage, virtio, polling, idle, errors. */
const KERNEL_LOG_FILTER =
  /nvme|virtio|\bvd[a-z]+\b|\bsd[a-z]+\b|\bxvd|blk|block|scsi|\bata\d|i\/o error|io_uring|poll|haltpoll|cpuidle|hung task|timed? ?out|ext4|xfs|btrfs|\bloop\d|\bdm-|\bmd\d|zram|irq|numa|kvm|hypervisor|clocksource|storvsc|hv_|xen|error|fail|warn/i;
const KERNEL_LOG_MAX_LINES = 4000;

/**
 * The collectors of `nvprobe collect`, in order. The snapshot collector runs detect once through
 * a recording Root; detect.json and check.json reuse that Snapshot, so they describe exactly the
 * tree in the bundle. The probe runs before them, so that its reads' steal is in the Snapshot
 * they hold (steal.run) and the steal rule judges the window the bundle's latency came from.
 */
export function bundleCollectors(o: CollectorOptions): Collector[] {
  let snapshot: Snapshot | null = null;
  let probed: ProbeReport | null = null;
  const liveSnapshot = () => withRunSteal((snapshot ??= detectSnapshot(new Root('/'))), probed?.result.cpu, "collect's probe");
  return [
    {
      name: 'version',
      gathers: 'nvprobe version, Node.js version and platform',
      timeoutMs: 1000,
      maxItemBytes: 64 << 10,
      collect: async () => [{ kind: 'file', path: BUNDLE_PATHS.version, text: json(o.version()) }],
    },
    {
      name: 'snapshot',
      gathers: 'the part of /sys and /proc that detect reads, as `nvprobe snapshot` writes it (tree/), identifiers redacted',
      timeoutMs: 5000,
      maxItemBytes: 1 << 20,
      collect: async (ctx) => {
        const recorder = new RecordingRoot('/');
        snapshot = detectSnapshot(recorder);
        const token = (kind: string, value: string) => {
          ctx.redactor.addLiteral(kind, value);
          return ctx.redactor.token(kind, value);
        };
        const { entries, redacted } = redactCapture(recorder.entries, ctx.redactor.enabled ? token : (_k, v) => v);
        const items: CollectedItem[] = [];
        const skipped: string[] = [];
        for (const key of [...entries.keys()].sort()) {
          const e = entries.get(key)!;
          const name = `${BUNDLE_PATHS.tree}${key}`;
          if (e.kind === 'file') items.push({ kind: 'file', path: name, text: e.content ?? '' });
          else if (e.kind === 'link') items.push({ kind: 'link', path: name, target: e.target.startsWith('/') ? path.posix.relative(path.posix.dirname(key), e.target) || '.' : e.target });
          else if (e.kind === 'unreadable') skipped.push(key);
        }
        const manifest = { tool: 'nvprobe', schemaVersion: snapshot.schemaVersion, source: 'live', createdAt: new Date().toISOString(), redacted };
        items.push({ kind: 'file', path: `${BUNDLE_PATHS.tree}/nvprobe-snapshot.json`, text: json(manifest) });
        return { items, note: skipped.length ? `${skipped.length} unreadable files left out: ${skipped.slice(0, 5).join(', ')}` : undefined };
      },
    },
    {
      name: 'probe',
      gathers: `a short QD1 probe of the root filesystem's disk (${o.probe.durationMs / 1000} s, \`nvprobe probe --json\`)`,
      timeoutMs: o.probe.durationMs + 30_000,
      maxItemBytes: 1 << 20,
      skip: o.probe.skip,
      collect: async (ctx) => {
        probed = await o.probe.run(ctx.signal, ctx.say);
        return [{ kind: 'file', path: BUNDLE_PATHS.probe, text: json(probed) }];
      },
    },
    {
      name: 'detect',
      gathers: "the Snapshot (`nvprobe detect --json`), with the steal during the probe's reads (steal.run)",
      timeoutMs: 5000,
      maxItemBytes: 2 << 20,
      collect: async () => [{ kind: 'file', path: BUNDLE_PATHS.detect, text: json(liveSnapshot()) }],
    },
    {
      name: 'check',
      gathers: 'the findings (`nvprobe check --json`) of the loaded rules',
      timeoutMs: 5000,
      maxItemBytes: 2 << 20,
      collect: async () => [{ kind: 'file', path: BUNDLE_PATHS.check, text: json(o.checkDocument(liveSnapshot(), o.rules())) }],
    },
    {
      name: 'tune-runs',
      gathers: 'saved tune runs and the journal from the state directory',
      timeoutMs: 3000,
      maxItemBytes: 1 << 20,
      collect: async () => {
        const files = listStateFiles(o.stateDir);
        // Newest runs first when the bundle fills up: the runs are named by time.
        const runs = files.filter((f) => f.name.startsWith('runs/') && f.name.endsWith('.json')).slice(-20);
        const kept = [...files.filter((f) => !runs.includes(f) && f.name.endsWith('.jsonl')).slice(-10), ...runs];
        const items: CollectedItem[] = [];
        const truncated: string[] = [];
        for (const f of kept) {
          const { data, truncated: cut } = f.read(1 << 20);
          if (cut) truncated.push(`${BUNDLE_PATHS.state}/${f.name}`);
          items.push({ kind: 'file', path: `${BUNDLE_PATHS.state}/${f.name}`, text: data.toString('utf8') });
        }
        const left = files.length - kept.length;
        return { items, truncated, note: files.length === 0 ? `no saved runs or journal in the state directory` : left > 0 ? `${left} older files left out` : undefined };
      },
    },
    {
      name: 'kernel-log',
      gathers: 'kernel log lines about storage, virtio, NVMe, polling, idle and errors (/dev/kmsg)',
      timeoutMs: 2000,
      maxItemBytes: 512 << 10,
      collect: async () => {
        const log = readKernelLog(Date.now() + 1500);
        if (!log.ok) return { items: [], skipped: `kernel log not readable: ${log.reason}` };
        // The boot command line repeats /proc/cmdline: init's own arguments after "--" are dropped there too.
        const lines = log.lines.filter((l) => KERNEL_LOG_FILTER.test(l)).map((l) => (/command line:/i.test(l) ? l.replace(/\s--(\s.*)?$/, ' -- REDACTED-init-args') : l));
        const kept = lines.slice(-KERNEL_LOG_MAX_LINES);
        const note = `${kept.length} of ${log.lines.length} lines kept${lines.length > kept.length ? ` (the newest ${KERNEL_LOG_MAX_LINES} matching)` : ''}${log.truncated ? '; reading stopped early' : ''}`;
        return { items: [{ kind: 'file', path: BUNDLE_PATHS.kernelLog, text: `${kept.join('\n')}\n` }], note, truncated: log.truncated ? [BUNDLE_PATHS.kernelLog] : [] };
      },
    },
  ];
}

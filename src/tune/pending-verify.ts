import { median } from 'simple-statistics';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCpuinfo } from '../detect/cpuinfo.js';
import { detectHaltpoll } from '../detect/haltpoll.js';
import { detectHypervisor } from '../detect/hypervisor.js';
import { moduleName } from '../detect/kernel-modules.js';
import { SysReader } from '../detect/reader.js';
import { ExitCode, NvprobeError } from '../errors.js';
import { readStateRecord } from '../host/state-record.js';
import type { Root } from '../host/root.js';
import { ensureDir } from '../host/state-dir.js';
import { replaceFileAtomic } from '../host/safe-create.js';
import type { ResolvedAction } from '../contracts/actions.js';
import { findKnobKind } from '../knobs/kinds.js';
import type { HostReference, Expectation, Verdict } from '../contracts/boot-verdict.js';

/** The one-shot verification `tune --persist` arms for the next boot; `nvprobe verify` consumes it. */
export const PENDING_VERIFY = 'pending-verify.json';
export const LAST_VERDICT = 'last-verify.json';
export const PENDING_VERSION = 1;
/** Never more than this many boots after arming: the one that verifies, and one to put things back. */
export const MAX_BOOTS = 2;

export interface MeasureSettings {
  /** What was measured (a file or block device path); null: the scratch file tune made on the root filesystem. */
  target: string | null;
  engine: string;
  blockSize: number;
  spanBytes: number;
  roundMs: number;
}

export interface PendingVerify {
  version: typeof PENDING_VERSION;
  /** The tune run whose journal holds the writes. */
  run: string;
  armedAt: string;
  /** /proc/sys/kernel/random/boot_id when armed: a different one now means the machine has booted since. */
  bootId?: string | null;
  /**
   * Where the journaled writes were made: absent or null = this machine; else the captured tree
   * (its real path) they went into. `verify` judges and reverts only the system they were made on.
   */
  root?: string | null;
  /** Boots seen by `verify` since arming; incremented and made durable before verify acts. */
  boots: number;
  maxBoots: number;
  /** Reboot after a revert to return to the original state (the user asked tune for --reboot). */
  reboot: boolean;
  changes: string[];
  expects: Expectation[];
  settings: MeasureSettings;
  /**
   * The baseline: p50 of each round, µs (corrected figures), the kernel-clock phases when traced,
   * and the host reference around the rounds (records armed before it existed have none).
   */
  baseline: { roundsP50Us: number[]; medianP50Us: number; kernelClock: unknown | null; reference?: HostReference | null };
}

/** The record `tune --persist` arms after writing reboot-only changes: boots 0, bounded by MAX_BOOTS. */
export function pendingRecord(o: {
  run: string;
  rebootOnly: ResolvedAction[];
  expects: Expectation[];
  reboot: boolean;
  settings: MeasureSettings;
  baselineRoundsP50Us: number[];
  reference?: HostReference | null;
  kernelClock: unknown | null;
  bootId?: string | null;
  root?: string | null;
}): PendingVerify {
  return {
    version: PENDING_VERSION,
    run: o.run,
    armedAt: new Date().toISOString(),
    bootId: o.bootId ?? null,
    ...(o.root ? { root: o.root } : {}),
    boots: 0,
    maxBoots: MAX_BOOTS,
    reboot: o.reboot,
    // Two findings (two virtio disks without poll queues) can ask for the same word: once here.
    changes: [...new Set(o.rebootOnly.map((a) => a.target))],
    expects: o.expects,
    settings: o.settings,
    baseline: { roundsP50Us: o.baselineRoundsP50Us, medianP50Us: median(o.baselineRoundsP50Us), kernelClock: o.kernelClock, reference: o.reference ?? null },
  };
}

/**
 * What the next boot must show for each reboot-only action. `disk`: the measured disk, for poll
 * queues; `diskDriver`: its driver module (nvme, virtio_blk), when known: another driver's
 * poll_queues word says nothing about this disk's queues.
 */
export function expectationsFor(actions: ResolvedAction[], disk: string | null, diskDriver: string | null = null): Expectation[] {
  const out: Expectation[] = [];
  const seen = new Set<string>();
  for (const a of actions) {
    const kind = findKnobKind(a.kind);
    if (kind?.takesEffect !== 'boot') continue;
    // The same change asked for by two findings (vda and vdb both without poll queues) is one expectation set.
    const key = `${a.kind} ${a.target}=${String(a.value)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const value = String(a.value);
    const change = a.target;
    const { cmdlineWord, module: mod, param } = kind.bootSetting(a);
    if (cmdlineWord !== null) out.push({ kind: 'cmdline-word', change, word: cmdlineWord });
    if (mod === 'cpuidle_haltpoll' && param === 'force') out.push({ kind: 'cpuidle-driver', change, driver: 'haltpoll' });
    else if (mod && param && mod !== 'cpuidle') out.push({ kind: 'module-param', change, module: mod, param, value });
    if (param === 'poll_queues' && Number(value) > 0 && disk !== null && (diskDriver === null || diskDriver === mod)) out.push({ kind: 'disk-poll', change, disk });
  }
  return out;
}

/**
 * The driver module of a disk's device, or null: virtio_blk from /sys/block/vda/device/driver;
 * nvme from the controller's PCI function (/sys/block/nvme0n1/device is the class device nvme0).
 */
export function diskDriver(root: Root, disk: string | null): string | null {
  if (disk === null) return null;
  const link = root.readlink(`/sys/block/${disk}/device/driver`) ?? root.readlink(`/sys/block/${disk}/device/device/driver`);
  return link === null ? null : moduleName(path.basename(link));
}

const Y = (v: string | null) => (v === 'Y' ? '1' : v === 'N' ? '0' : v);

/** Whether each expectation holds now, with the live value and, where readable, why not. */
export function checkExpectations(root: Root, expects: Expectation[]): Verdict['checks'] {
  const r = new SysReader(root);
  const cmdline = root.text('/proc/cmdline');
  const words = cmdline === null ? null : new Set(cmdline.trim().split(/\s+/));
  return expects.map((e) => {
    switch (e.kind) {
      case 'cmdline-word':
        if (words === null) return { ...e, inEffect: false, live: null, why: '/proc/cmdline unreadable' };
        return {
          ...e,
          inEffect: words.has(e.word),
          live: cmdline!.trim(),
          why: words.has(e.word) ? null : `${e.word} is not on the running kernel's command line (the boot loader did not use the written entry?)`,
        };
      case 'module-param': {
        const live = root.attr(`/sys/module/${e.module}/parameters/${e.param}`);
        const ok = live !== null && Y(live) === Y(e.value);
        return { ...e, inEffect: ok, live, why: ok ? null : live === null ? `/sys/module/${e.module}/parameters/${e.param} is absent` : `${e.module}.${e.param} is ${live}, not ${e.value}` };
      }
      case 'cpuidle-driver': {
        const driver = r.optional('/sys/devices/system/cpu/cpuidle/current_driver');
        const governor = r.optional('/sys/devices/system/cpu/cpuidle/current_governor');
        const ok = driver === e.driver;
        const hv = notKvm(root, r);
        const hint = ok
          ? null
          : hv
            ? `cpuidle driver is ${driver ?? 'absent'}: not a KVM guest (${hv}: no kvm paravirt), so cpuidle-haltpoll refuses to load, even with cpuidle_haltpoll.force=1`
            : detectHaltpoll(r, driver, governor).explanation;
        return { ...e, inEffect: ok, live: driver, why: hint };
      }
      default: {
        const live = root.attr(`/sys/block/${e.disk}/queue/io_poll`);
        const ok = live === '1';
        return { ...e, inEffect: ok, live, why: ok ? null : `${e.disk} queue/io_poll is ${live ?? 'unreadable'}: the driver set up no poll queues` };
      }
    }
  });
}

/**
 * What this machine is when it is not a KVM guest ('tcg', 'none', 'xen', ...), else null. Not the
 * cpuinfo hypervisor flag alone: QEMU's TCG sets it too, without KVM's paravirt interface.
 */
function notKvm(root: Root, r: SysReader): string | null {
  const cpuinfo = root.text('/proc/cpuinfo');
  const kind = detectHypervisor(r, cpuinfo === null ? null : parseCpuinfo(cpuinfo)).kind;
  return kind === 'kvm' || kind === 'unknown' ? null : kind;
}

export function readPending(dir: string): PendingVerify | null {
  const file = path.join(dir, PENDING_VERIFY);
  const doc = readStateRecord(file) as PendingVerify | null;
  if (doc === null) return null;
  const problem = pendingProblem(doc);
  if (problem) throw new NvprobeError(`${file} is not a verification record this nvprobe reads (${problem})`, { exitCode: ExitCode.usage, hint: `run \`nvprobe revert\`, then remove ${file}` });
  return doc;
}

/** What makes a record unusable: a verdict computed from it would be nonsense (a −1 µs baseline). */
function pendingProblem(doc: PendingVerify): string | null {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'not an object';
  if (doc.version !== PENDING_VERSION) return `version ${JSON.stringify(doc.version)}`;
  if (typeof doc.run !== 'string' || !/^[\w.:-]{1,100}$/.test(doc.run)) return 'run';
  if (!Number.isInteger(doc.boots) || doc.boots < 0 || !Number.isInteger(doc.maxBoots) || doc.maxBoots < 1 || doc.maxBoots > 10) return 'boot counter';
  if (typeof doc.reboot !== 'boolean') return 'reboot';
  if (!Array.isArray(doc.changes) || !doc.changes.every((c) => typeof c === 'string')) return 'changes';
  if (!Array.isArray(doc.expects)) return 'expectations';
  const b = doc.baseline;
  const positive = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0;
  if (typeof b !== 'object' || b === null || !Array.isArray(b.roundsP50Us) || b.roundsP50Us.length === 0 || !b.roundsP50Us.every(positive) || !positive(b.medianP50Us)) return 'baseline';
  if (typeof doc.settings !== 'object' || doc.settings === null) return 'settings';
  if (doc.root !== undefined && doc.root !== null && typeof doc.root !== 'string') return 'root';
  return null;
}

/** Durable write (temp + fsync + rename + directory fsync): a crash leaves the old or the new record. */
export function writeState(dir: string, name: string, doc: unknown): string {
  ensureDir(dir);
  const file = path.join(dir, name);
  // Every byte or nothing: a short write fails, the old record stays, no temp file is left.
  replaceFileAtomic(file, `${JSON.stringify(doc, null, 2)}\n`, 0o600);
  return file;
}

/** This boot's id (/proc/sys/kernel/random/boot_id), or null where unreadable. */
export function currentBootId(root: Root): string | null {
  return root.text('/proc/sys/kernel/random/boot_id')?.trim() || null;
}

/**
 * Whether the machine booted after the record was armed, or null when it cannot be told. The boot
 * id decides where both are known (btime has whole seconds only, and a quick reboot can fall in
 * the arming second); otherwise /proc/stat btime against armedAt. A record armed before this boot
 * no longer waits for a reboot, only for `verify`.
 */
export function bootedSince(root: Root, armed: Pick<PendingVerify, 'armedAt' | 'bootId'>): boolean | null {
  const now = currentBootId(root);
  if (armed.bootId && now) return now !== armed.bootId;
  const m = /^btime\s+(\d+)$/m.exec(root.text('/proc/stat') ?? '');
  const at = Date.parse(armed.armedAt);
  if (!m || Number.isNaN(at)) return null;
  return Number(m[1]) * 1000 > at;
}

export function disarm(dir: string): void {
  fs.rmSync(path.join(dir, PENDING_VERIFY), { force: true });
}

/** The last verdict, for status and the metrics; a record nvprobe did not write is refused (exit 2). */
export function readVerdict(dir: string): Verdict | null {
  const v = readStateRecord(path.join(dir, LAST_VERDICT)) as Verdict | null;
  if (v !== null && (typeof v !== 'object' || typeof v.verdict !== 'string' || typeof v.run !== 'string')) {
    throw new NvprobeError(`${path.join(dir, LAST_VERDICT)} is not a verdict this nvprobe reads`, { exitCode: ExitCode.usage, hint: `remove ${path.join(dir, LAST_VERDICT)}` });
  }
  return v;
}

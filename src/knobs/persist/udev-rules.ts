import { naturalCompare, type Root } from '../../host/root.js';
import { QUEUE_ATTRS } from '../../host/write-allowlist.js';
import type { FileWrite } from '../write.js';
import { checkDisk, checkValue, isMatchableId } from './safe-text.js';
import { findTool } from './tools.js';

/**
 * nvprobe's own udev rules: queue attributes set again whenever a disk appears or changes, so a
 * kept `queue-attr` action survives a reboot. Sorts after the distributions' 60-*scheduler rules
 * (`60-ioschedulers.rules`, `60-block-scheduler.rules`), so nvprobe's assignment is the last one.
 */
export const UDEV_RULES = '/etc/udev/rules.d/60-nvprobe.rules';

const HEADER = [
  '# Managed by nvprobe: `nvprobe revert` removes this file.',
  '# Queue settings kept by `nvprobe tune`, applied when a disk is added or changes;',
  '# edits made here are overwritten by the next tune.',
];

export interface QueueAttrSetting {
  disk: string;
  attr: string;
  value: string;
}

/** How a rule finds its disk: the match keys of the line, and in words how stable that is. */
export interface DiskMatch {
  /** e.g. `KERNEL=="vda"`, or `KERNEL=="nvme*", ENV{DEVTYPE}=="disk", ATTR{wwid}=="eui.…"`. */
  keys: string;
  by: 'kernel name' | 'serial' | 'wwid';
}

interface RuleLine extends QueueAttrSetting {
  match: DiskMatch;
}

/**
 * The most stable match this disk's sysfs offers. A kernel name (vda, nvme0n1) follows probe
 * order: adding a disk, or NVMe controllers probing in another order, moves it to another
 * device. An NVMe namespace's `wwid` (EUI-64/NGUID/UUID, or vendor+serial+model) and a
 * virtio-blk disk's `serial` (when the host set one, and no other disk shares it) stay with the
 * disk. Partitions have neither attribute, so they never match.
 */
export function diskMatch(root: Root, disk: string): DiskMatch {
  const name = checkDisk(disk);
  if (/^nvme\d+n\d+$/.test(name)) {
    const wwid = root.attr(`/sys/block/${name}/wwid`);
    if (isMatchableId(wwid)) return { keys: `KERNEL=="nvme*", ENV{DEVTYPE}=="disk", ATTR{wwid}=="${wwid}"`, by: 'wwid' };
  }
  if (/^vd[a-z]+$/.test(name)) {
    const serial = root.attr(`/sys/block/${name}/serial`);
    const shared = root.list('/sys/block').some((d) => d !== name && /^vd[a-z]+$/.test(d) && root.attr(`/sys/block/${d}/serial`) === serial);
    if (isMatchableId(serial) && !shared) return { keys: `KERNEL=="vd*", ENV{DEVTYPE}=="disk", ATTR{serial}=="${serial}"`, by: 'serial' };
  }
  return { keys: `KERNEL=="${name}"`, by: 'kernel name' };
}

/** The rule lines of nvprobe's file, keyed by the `# disk NAME` comment above them. */
export function parseUdevRules(text: string): RuleLine[] {
  const out: RuleLine[] = [];
  let disk: string | null = null;
  let by: DiskMatch['by'] = 'kernel name';
  for (const line of text.split('\n')) {
    const head = /^# disk (\S+): matched by (kernel name|serial|wwid)\b/.exec(line);
    if (head) {
      disk = head[1]!;
      by = head[2] as DiskMatch['by'];
      continue;
    }
    const rule = /^ACTION=="add\|change", SUBSYSTEM=="block", (.*), ATTR\{queue\/([a-z_]+)\}="([^"]*)"$/.exec(line);
    if (rule && disk !== null) out.push({ disk, attr: rule[2]!, value: rule[3]!, match: { keys: rule[1]!, by } });
  }
  return out;
}

const CAVEAT: Record<DiskMatch['by'], string> = {
  'kernel name': 'kernel name; another disk gets it if disks are added or probed in another order',
  serial: 'serial; stays with this disk if disks are added or reordered',
  wwid: 'wwid; stays with this namespace if controllers probe in another order',
};

/** The whole rules file, or null when there is no rule. Disks in natural order; the scheduler first. */
export function renderUdevRules(rules: RuleLine[]): string | null {
  if (rules.length === 0) return null;
  const disks = [...new Set(rules.map((r) => r.disk))].sort(naturalCompare);
  const lines = [...HEADER];
  for (const disk of disks) {
    const mine = rules.filter((r) => r.disk === disk).sort((a, b) => attrOrder(a.attr) - attrOrder(b.attr));
    lines.push(`# disk ${disk}: matched by ${CAVEAT[mine[0]!.match.by]}`);
    for (const r of mine) lines.push(`ACTION=="add|change", SUBSYSTEM=="block", ${r.match.keys}, ATTR{queue/${r.attr}}="${r.value}"`);
  }
  return `${lines.join('\n')}\n`;
}

// Changing the scheduler resets nr_requests (and wbt), so it goes first; then the allowlist's order.
function attrOrder(attr: string): number {
  const i = (QUEUE_ATTRS as readonly string[]).indexOf(attr);
  return i < 0 ? QUEUE_ATTRS.length : i;
}

/** Add or change rules. [] when the file would not change. */
export function setUdevQueueAttrs(root: Root, settings: QueueAttrSetting[]): FileWrite[] {
  const current = root.text(UDEV_RULES);
  const rules = current === null ? [] : parseUdevRules(current);
  for (const s of settings) {
    const disk = checkDisk(s.disk);
    const attr = checkAttr(s.attr);
    const value = checkValue(`queue/${attr}`, s.value);
    const match = diskMatch(root, disk);
    // A disk's lines share one match: recompute it for all of them (its serial may have been set since).
    for (const r of rules) if (r.disk === disk) r.match = match;
    const i = rules.findIndex((r) => r.disk === disk && r.attr === attr);
    if (i >= 0) rules[i]!.value = value;
    else rules.push({ disk, attr, value, match });
  }
  return fileWrite(root, current, renderUdevRules(rules));
}

/** udevadm, when udev is installed at all: without it a rules file does nothing. */
export function udevadm(root: Root): string | null {
  return findTool(root, 'udevadm');
}

function fileWrite(root: Root, current: string | null, content: string | null): FileWrite[] {
  if (content === current) return [];
  const tool = udevadm(root) ?? 'udevadm';
  // Reload only: tune has already written the values at runtime; the rules are for the next add/change.
  return [{ op: 'file', path: UDEV_RULES, content, ...(content === null ? {} : { mode: 0o644 }), regenerate: [tool, 'control', '--reload'] }];
}

function checkAttr(attr: string): string {
  if (!(QUEUE_ATTRS as readonly string[]).includes(attr)) throw new RangeError(`queue/${attr} is not an allowed queue attribute`);
  return attr;
}

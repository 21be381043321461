import type { SysReader } from './reader.js';
import type { Partition, DiskStack } from '../contracts/detect-disks.js';

export function detectStack(r: SysReader, name: string, sysPath: string | null): DiskStack {
  const dir = sysPath ?? `/sys/block/${name}`;
  const partitions = r
    .list(dir)
    .filter((e) => e.startsWith(name) && e !== name && r.root.exists(`${dir}/${e}/partition`))
    .map((p) => partition(r, `${dir}/${p}`, p));
  const slaves = r.list(`${dir}/slaves`);
  const holders = [...r.list(`${dir}/holders`), ...partitions.flatMap((p) => r.list(`${dir}/${p.name}/holders`))];
  const uuid = r.root.isDir(`${dir}/dm`) ? r.optional(`${dir}/dm/uuid`) : null;
  return {
    partitions,
    slaves,
    holders: [...new Set(holders)],
    backingDisks: backingDisks(r, slaves, new Set([name])),
    dm: r.root.isDir(`${dir}/dm`) ? { name: r.optional(`${dir}/dm/name`), uuidPrefix: uuid === null ? null : (/^([A-Za-z]+)-/.exec(uuid)?.[1] ?? null) } : null,
    md: r.root.isDir(`${dir}/md`) ? { level: r.optional(`${dir}/md/level`) } : null,
  };
}

function partition(r: SysReader, dir: string, name: string): Partition {
  const sectors = r.int(`${dir}/size`);
  return {
    name,
    dev: r.attr(`${dir}/dev`),
    number: r.int(`${dir}/partition`),
    startSector: r.int(`${dir}/start`),
    sizeBytes: sectors === null ? null : sectors * 512,
  };
}

/** The whole disk a block device name belongs to ("vda1" → "vda", "vda" → "vda"); null if unknown. */
export function wholeDiskOf(r: SysReader, name: string): string | null {
  const link = `/sys/class/block/${name}`;
  if (!r.root.exists(link)) {
    // Captured trees hold /sys/class/block links only for what was looked up.
    if (r.root.isDir(`/sys/block/${name}`)) return name;
    return r.list('/sys/block').find((d) => r.root.exists(`/sys/block/${d}/${name}/partition`)) ?? null;
  }
  const dir = r.root.realpath(link);
  if (!r.root.exists(`${dir}/partition`)) return name;
  const parent = dir.slice(0, dir.lastIndexOf('/'));
  return parent.slice(parent.lastIndexOf('/') + 1);
}

function backingDisks(r: SysReader, slaves: string[], seen: Set<string>): string[] {
  const out: string[] = [];
  for (const slave of slaves) {
    const disk = wholeDiskOf(r, slave) ?? slave;
    if (seen.has(disk)) continue;
    seen.add(disk);
    const below = r.list(`/sys/block/${disk}/slaves`);
    out.push(...(below.length === 0 ? [disk] : backingDisks(r, below, seen)));
  }
  return [...new Set(out)];
}

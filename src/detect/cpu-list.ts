/**
 * CPU lists as the kernel prints them: "0-3,8" (online, cpulist, isolated),
 * "0, 1" (blk-mq cpu_list), "" (nothing). Returns null when the text is not a CPU list.
 */
export function parseCpuList(text: string | null): number[] | null {
  if (text === null) return null;
  const cpus = new Set<number>();
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return null;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first || last - first > 65536) return null;
    for (let c = first; c <= last; c++) cpus.add(c);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** The inverse of parseCpuList, compact for humans: [0,1,2,3,8] → "0-3,8". */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

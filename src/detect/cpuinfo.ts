/** The parts of /proc/cpuinfo detection uses, taken from the first processor block. */
export interface CpuinfoFacts {
  vendorId: string | null;
  modelName: string | null;
  /** x86 "flags", arm64 "Features". */
  flags: string[];
  /** arm64 "CPU architecture" (8 = ARMv8). */
  cpuArchitecture: string | null;
  processors: number;
}

export function parseCpuinfo(text: string): CpuinfoFacts {
  const first = new Map<string, string>();
  let processors = 0;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === 'processor') processors++;
    if (!first.has(key)) first.set(key, value);
  }
  const flags = first.get('flags') ?? first.get('Features') ?? '';
  return {
    vendorId: first.get('vendor_id') ?? first.get('CPU implementer') ?? null,
    modelName: first.get('model name') ?? first.get('Processor') ?? null,
    flags: flags.split(/\s+/).filter(Boolean),
    cpuArchitecture: first.get('CPU architecture') ?? null,
    processors,
  };
}

import type { CpuinfoFacts } from './cpuinfo.js';
import type { SysReader } from './reader.js';
import type { MachineInfo } from '../contracts/detect-system.js';

export function detectMachine(r: SysReader, cpuinfo: CpuinfoFacts | null): MachineInfo {
  const arch = r.optional('/proc/sys/kernel/arch');
  if (arch) return { architecture: arch, architectureSource: 'kernel.arch', ...cpuIdentity(cpuinfo) };
  const inferred = cpuinfo === null ? null : inferArchitecture(cpuinfo);
  return { architecture: inferred, architectureSource: inferred === null ? null : 'cpuinfo', ...cpuIdentity(cpuinfo) };
}

function cpuIdentity(cpuinfo: CpuinfoFacts | null): Pick<MachineInfo, 'cpuVendor' | 'cpuModel'> {
  return { cpuVendor: cpuinfo?.vendorId ?? null, cpuModel: cpuinfo?.modelName ?? null };
}

/** Older kernels lack kernel.arch: x86 CPUs say "lm" when 64-bit, arm64 says "CPU architecture: 8". */
function inferArchitecture(c: CpuinfoFacts): string | null {
  if (c.flags.includes('lm') && c.vendorId !== null) return 'x86_64';
  if (c.vendorId !== null && c.flags.includes('fpu')) return 'i686';
  if (c.cpuArchitecture === '8') return 'aarch64';
  return null;
}

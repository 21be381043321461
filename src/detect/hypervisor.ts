import type { CpuinfoFacts } from './cpuinfo.js';
import type { SysReader } from './reader.js';
import type { HypervisorKind, HypervisorSignals, HypervisorInfo } from '../contracts/detect-system.js';

export function detectHypervisor(r: SysReader, cpuinfo: CpuinfoFacts | null): HypervisorInfo {
  const available = r.optional('/sys/devices/system/clocksource/clocksource0/available_clocksource');
  const signals: HypervisorSignals = {
    cpuinfoHypervisorFlag: cpuinfo !== null && isX86(cpuinfo) ? cpuinfo.flags.includes('hypervisor') : null,
    cpuModel: cpuinfo?.modelName ?? null,
    sysHypervisorType: r.optional('/sys/hypervisor/type'),
    dmiSysVendor: r.optional('/sys/class/dmi/id/sys_vendor'),
    dmiProductName: r.optional('/sys/class/dmi/id/product_name'),
    dmiBiosVendor: r.optional('/sys/class/dmi/id/bios_vendor'),
    currentClocksource: r.optional('/sys/devices/system/clocksource/clocksource0/current_clocksource'),
    availableClocksources: available === null ? null : available.split(/\s+/).filter(Boolean),
    paravirtBuses: ['xen', 'vmbus'].filter((bus) => r.list(`/sys/bus/${bus}/devices`).length > 0),
    cpuidleDriver: r.optional('/sys/devices/system/cpu/cpuidle/current_driver'),
  };
  return classifyHypervisor(signals);
}

function isX86(c: CpuinfoFacts): boolean {
  return c.vendorId !== null && /^(GenuineIntel|AuthenticAMD|HygonGenuine|CentaurHauls|Shanghai)$/.test(c.vendorId);
}

interface Vote {
  kind: Exclude<HypervisorKind, 'none' | 'unknown'>;
  weight: number;
  why: string;
}

/** Decide from the signals alone (pure, so edited signal sets can be checked directly). */
export function classifyHypervisor(s: HypervisorSignals): HypervisorInfo {
  const votes: Vote[] = [];
  if (s.sysHypervisorType === 'xen') votes.push({ kind: 'xen', weight: 3, why: '/sys/hypervisor/type: xen' });
  if (s.paravirtBuses.includes('xen')) votes.push({ kind: 'xen', weight: 2, why: 'xen bus has devices (/sys/bus/xen/devices)' });
  if (s.paravirtBuses.includes('vmbus')) votes.push({ kind: 'hyperv', weight: 2, why: 'Hyper-V VMBus has devices (/sys/bus/vmbus/devices)' });
  for (const cs of s.availableClocksources ?? []) {
    const kind = CLOCKSOURCE_KINDS[cs];
    if (kind) votes.push({ kind, weight: 2, why: `clocksource ${cs} available (current: ${s.currentClocksource ?? 'unknown'})` });
  }
  if (s.cpuidleDriver === 'haltpoll') votes.push({ kind: 'kvm', weight: 1, why: 'cpuidle driver haltpoll (needs KVM paravirt)' });
  // Only QEMU's software CPU carries this model name; under KVM (or HVF) -cpu max passes the host's through.
  if (s.cpuModel !== null && TCG_CPU_MODEL.test(s.cpuModel)) votes.push({ kind: 'tcg', weight: 3, why: `cpu model "${s.cpuModel}": QEMU's software emulation (TCG)` });
  const dmi = dmiVote(s.dmiSysVendor, s.dmiProductName);
  const qemuWithoutKvm = dmi !== null && isQemuWithoutKvm(s, votes);
  if (dmi && !qemuWithoutKvm) votes.push(dmi);

  const evidence = votes.sort((a, b) => b.weight - a.weight).map((v) => v.why);
  if (s.cpuinfoHypervisorFlag) evidence.push('cpuinfo flag: hypervisor');
  if (s.dmiSysVendor === null && s.dmiProductName === null) evidence.push('no DMI (/sys/class/dmi/id absent)');

  const kind = winner(votes) ?? fallbackKind(s);
  if (qemuWithoutKvm) {
    evidence.push(
      kind === 'tcg'
        ? `DMI sys_vendor ${s.dmiSysVendor} and no kvm-clock: QEMU without KVM`
        : `DMI sys_vendor ${s.dmiSysVendor} but no kvm-clock: QEMU without KVM (TCG, or another accelerator such as HVF)`,
    );
  } else if (votes.length === 0) {
    if (kind === 'none') evidence.push('no hypervisor signal: cpuinfo lacks the hypervisor flag');
    if (kind === 'unknown' && s.cpuinfoHypervisorFlag) evidence.push('a hypervisor is present but none of its signals name it');
  }
  return { kind, vendor: s.dmiSysVendor, product: s.dmiProductName, evidence, signals: s };
}

const CLOCKSOURCE_KINDS: Record<string, Vote['kind']> = {
  'kvm-clock': 'kvm',
  xen: 'xen',
  hyperv_clocksource_tsc_page: 'hyperv',
  hyperv_clocksource_msr: 'hyperv',
};

/** DMI strings of common clouds and hypervisors (vendor, then product). Weak: DMI is configurable. */
const DMI_VENDORS: Array<{ match: RegExp; kind: Vote['kind']; field: 'vendor' | 'product' }> = [
  { match: /^VMware/i, kind: 'vmware', field: 'vendor' },
  { match: /^VMware/i, kind: 'vmware', field: 'product' },
  { match: /^Xen$/i, kind: 'xen', field: 'vendor' },
  { match: /^HVM domU$/i, kind: 'xen', field: 'product' },
  { match: /^Microsoft Corporation$/i, kind: 'hyperv', field: 'vendor' },
  { match: /^(QEMU|Amazon EC2|Google|Red Hat|OpenStack Foundation|Alibaba Cloud|DigitalOcean|Hetzner|Nutanix|oVirt)\b/i, kind: 'kvm', field: 'vendor' },
  { match: /^(KVM|Google Compute Engine|OpenStack Nova|RHEV Hypervisor|Alibaba Cloud ECS)\b/i, kind: 'kvm', field: 'product' },
];

function dmiVote(vendor: string | null, product: string | null): Vote | null {
  for (const d of DMI_VENDORS) {
    const value = d.field === 'vendor' ? vendor : product;
    if (value !== null && d.match.test(value)) {
      // VMware has no other guest-visible signal in sysfs, so its DMI counts more.
      return { kind: d.kind, weight: d.kind === 'vmware' ? 2 : 1, why: `DMI ${d.field === 'vendor' ? 'sys_vendor' : 'product_name'}: ${value}` };
    }
  }
  return null;
}

/** "QEMU TCG CPU version 2.5+": the model string of QEMU's `max` CPU under TCG (target/i386/cpu.c). */
const TCG_CPU_MODEL = /^QEMU TCG CPU\b/;

/** QEMU's DMI with a clocksource list that lacks kvm-clock: not KVM, so DMI must not vote for it. */
function isQemuWithoutKvm(s: HypervisorSignals, votes: Vote[]): boolean {
  return /^QEMU/i.test(s.dmiSysVendor ?? '') && s.availableClocksources !== null && votes.every((v) => v.kind === 'tcg');
}

function winner(votes: Vote[]): Vote['kind'] | null {
  const score = new Map<Vote['kind'], number>();
  for (const v of votes) score.set(v.kind, (score.get(v.kind) ?? 0) + v.weight);
  let best: Vote['kind'] | null = null;
  for (const [kind, total] of score) if (best === null || total > score.get(best)!) best = kind;
  return best;
}

function fallbackKind(s: HypervisorSignals): HypervisorKind {
  // Without the CPUID bit on x86 this is bare metal; elsewhere absence proves nothing.
  if (s.cpuinfoHypervisorFlag === false) return 'none';
  return 'unknown';
}

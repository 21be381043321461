import { describe, expect, it } from 'vitest';
import { classifyHypervisor } from '../../src/detect/hypervisor.js';
import type { HypervisorSignals } from '../../src/contracts/detect-system.js';

const none: HypervisorSignals = {
  cpuinfoHypervisorFlag: false,
  cpuModel: 'Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz',
  sysHypervisorType: null,
  dmiSysVendor: null,
  dmiProductName: null,
  dmiBiosVendor: null,
  currentClocksource: 'tsc',
  availableClocksources: ['tsc', 'hpet', 'acpi_pm'],
  paravirtBuses: [],
  cpuidleDriver: 'intel_idle',
};

describe('classifyHypervisor (signal sets as real guests show them)', () => {
  it('bare metal: no CPUID hypervisor bit, no paravirt clock', () => {
    expect(classifyHypervisor(none).kind).toBe('none');
  });

  it('Azure / Hyper-V: hyperv clocksource, VMBus, DMI Microsoft', () => {
    const hv = classifyHypervisor({
      ...none,
      cpuinfoHypervisorFlag: true,
      dmiSysVendor: 'Microsoft Corporation',
      dmiProductName: 'Virtual Machine',
      currentClocksource: 'hyperv_clocksource_tsc_page',
      availableClocksources: ['hyperv_clocksource_tsc_page', 'acpi_pm'],
      paravirtBuses: ['vmbus'],
      cpuidleDriver: 'acpi_idle',
    });
    expect(hv).toMatchObject({ kind: 'hyperv', vendor: 'Microsoft Corporation', product: 'Virtual Machine' });
  });

  it('VMware: only DMI names it', () => {
    const hv = classifyHypervisor({ ...none, cpuinfoHypervisorFlag: true, dmiSysVendor: 'VMware, Inc.', dmiProductName: 'VMware7,1' });
    expect(hv.kind).toBe('vmware');
    expect(hv.evidence[0]).toBe('DMI sys_vendor: VMware, Inc.');
  });

  it('AWS Nitro: kvm-clock and DMI Amazon EC2', () => {
    const hv = classifyHypervisor({
      ...none,
      cpuinfoHypervisorFlag: true,
      dmiSysVendor: 'Amazon EC2',
      dmiProductName: 'm6i.large',
      availableClocksources: ['kvm-clock', 'tsc', 'acpi_pm'],
      currentClocksource: 'kvm-clock',
    });
    expect(hv).toMatchObject({ kind: 'kvm', vendor: 'Amazon EC2', product: 'm6i.large' });
  });

  it('QEMU under TCG with -cpu max: the TCG CPU model names it; DMI QEMU does not make it KVM', () => {
    // As the lab guest shows it: i440FX DMI, hpet and acpi_pm only, no cpuidle driver.
    const hv = classifyHypervisor({
      ...none,
      cpuinfoHypervisorFlag: true,
      cpuModel: 'QEMU TCG CPU version 2.5+',
      dmiSysVendor: 'QEMU',
      dmiProductName: 'Standard PC (i440FX + PIIX, 1996)',
      currentClocksource: 'hpet',
      availableClocksources: ['hpet', 'acpi_pm'],
      cpuidleDriver: 'none',
    });
    expect(hv).toMatchObject({ kind: 'tcg', vendor: 'QEMU', product: 'Standard PC (i440FX + PIIX, 1996)' });
    expect(hv.evidence).toEqual(['cpu model "QEMU TCG CPU version 2.5+": QEMU\'s software emulation (TCG)', 'cpuinfo flag: hypervisor', 'DMI sys_vendor QEMU and no kvm-clock: QEMU without KVM']);
  });

  it('DMI QEMU without kvm-clock and another CPU model: not KVM, but not provably TCG either', () => {
    const hv = classifyHypervisor({
      ...none,
      cpuinfoHypervisorFlag: true,
      cpuModel: 'QEMU Virtual CPU version 2.5+',
      dmiSysVendor: 'QEMU',
      dmiProductName: 'Standard PC (i440FX + PIIX, 1996)',
      cpuidleDriver: null,
    });
    expect(hv.kind).toBe('unknown');
    expect(hv.vendor).toBe('QEMU');
    expect(hv.evidence).toEqual(['cpuinfo flag: hypervisor', 'DMI sys_vendor QEMU but no kvm-clock: QEMU without KVM (TCG, or another accelerator such as HVF)']);
  });

  it('QEMU with KVM: kvm-clock and DMI QEMU, whatever the CPU model', () => {
    const hv = classifyHypervisor({
      ...none,
      cpuinfoHypervisorFlag: true,
      cpuModel: 'QEMU Virtual CPU version 2.5+',
      dmiSysVendor: 'QEMU',
      availableClocksources: ['kvm-clock', 'tsc', 'hpet', 'acpi_pm'],
      currentClocksource: 'kvm-clock',
    });
    expect(hv.kind).toBe('kvm');
    expect(hv.evidence).toEqual(['clocksource kvm-clock available (current: kvm-clock)', 'DMI sys_vendor: QEMU', 'cpuinfo flag: hypervisor']);
  });

  it('a hypervisor bit and nothing else: unknown, not none', () => {
    expect(classifyHypervisor({ ...none, cpuinfoHypervisorFlag: true, cpuidleDriver: null }).kind).toBe('unknown');
  });

  it('without cpuinfo nothing says bare metal', () => {
    expect(classifyHypervisor({ ...none, cpuinfoHypervisorFlag: null, availableClocksources: null, cpuidleDriver: null }).kind).toBe('unknown');
  });
});

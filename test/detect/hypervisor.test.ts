import { describe, expect, it } from 'vitest';
import { classifyHypervisor, type HypervisorSignals } from '../../src/detect/hypervisor.js';

const none: HypervisorSignals = {
  cpuinfoHypervisorFlag: false,
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
    const hv = classifyHypervisor({ ...none, cpuinfoHypervisorFlag: true, dmiSysVendor: 'Microsoft Corporation', dmiProductName: 'Virtual Machine', currentClocksource: 'hyperv_clocksource_tsc_page', availableClocksources: ['hyperv_clocksource_tsc_page', 'acpi_pm'], paravirtBuses: ['vmbus'], cpuidleDriver: 'acpi_idle' });
    expect(hv).toMatchObject({ kind: 'hyperv', vendor: 'Microsoft Corporation', product: 'Virtual Machine' });
  });

  it('VMware: only DMI names it', () => {
    const hv = classifyHypervisor({ ...none, cpuinfoHypervisorFlag: true, dmiSysVendor: 'VMware, Inc.', dmiProductName: 'VMware7,1' });
    expect(hv.kind).toBe('vmware');
    expect(hv.evidence[0]).toBe('DMI sys_vendor: VMware, Inc.');
  });

  it('AWS Nitro: kvm-clock and DMI Amazon EC2', () => {
    const hv = classifyHypervisor({ ...none, cpuinfoHypervisorFlag: true, dmiSysVendor: 'Amazon EC2', dmiProductName: 'm6i.large', availableClocksources: ['kvm-clock', 'tsc', 'acpi_pm'], currentClocksource: 'kvm-clock' });
    expect(hv).toMatchObject({ kind: 'kvm', vendor: 'Amazon EC2', product: 'm6i.large' });
  });

  it('QEMU under TCG: DMI QEMU but no kvm-clock is not KVM', () => {
    const hv = classifyHypervisor({ ...none, cpuinfoHypervisorFlag: true, dmiSysVendor: 'QEMU', dmiProductName: 'Standard PC (i440FX + PIIX, 1996)', cpuidleDriver: null });
    expect(hv.kind).toBe('unknown');
    expect(hv.vendor).toBe('QEMU');
    expect(hv.evidence.join('\n')).toMatch(/TCG/);
  });

  it('a hypervisor bit and nothing else: unknown, not none', () => {
    expect(classifyHypervisor({ ...none, cpuinfoHypervisorFlag: true, cpuidleDriver: null }).kind).toBe('unknown');
  });

  it('without cpuinfo nothing says bare metal', () => {
    expect(classifyHypervisor({ ...none, cpuinfoHypervisorFlag: null, availableClocksources: null, cpuidleDriver: null }).kind).toBe('unknown');
  });
});

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectCpuidle } from '../../src/detect/cpuidle.js';
import { SysReader } from '../../src/detect/reader.js';
import { Root } from '../../src/host/root.js';
import { copyFixture, KVM_FIXTURE, removeTemp } from '../helpers/fixtures.js';

let dir = '';
afterEach(() => removeTemp(dir));
const cpuidleOf = (d: string) => detectCpuidle(new SysReader(new Root(d)));

describe('haltpoll situations (edited copies of the captured tree)', () => {
  it('driver haltpoll without /sys/module/haltpoll: governor not built (Debian 6.1 cloud kernel)', () => {
    dir = copyFixture(KVM_FIXTURE);
    rmSync(join(dir, 'sys/module/haltpoll'), { recursive: true });
    const ci = cpuidleOf(dir);
    expect(ci.haltpoll).toMatchObject({ driverActive: true, governorBuilt: false, parameters: null, polling: false, absence: 'governor-not-built' });
    expect(ci.haltpoll.explanation).toMatch(/CONFIG_CPU_IDLE_GOV_HALTPOLL/);
  });

  it('polling on when guest_halt_poll_ns > 0', () => {
    dir = copyFixture(KVM_FIXTURE);
    writeFileSync(join(dir, 'sys/module/haltpoll/parameters/guest_halt_poll_ns'), '200000\n');
    const ci = cpuidleOf(dir);
    expect(ci.haltpoll).toMatchObject({ polling: true, absence: null });
    expect(ci.haltpoll.parameters?.guestHaltPollNs).toBe(200000);
  });

  it('haltpoll driver under another governor', () => {
    dir = copyFixture(KVM_FIXTURE);
    writeFileSync(join(dir, 'sys/devices/system/cpu/cpuidle/current_governor'), 'menu\n');
    expect(cpuidleOf(dir).haltpoll).toMatchObject({ governorActive: false, polling: false, absence: 'governor-not-selected' });
  });

  it('no cpuidle directory at all', () => {
    dir = copyFixture(KVM_FIXTURE);
    rmSync(join(dir, 'sys/devices/system/cpu/cpuidle'), { recursive: true });
    const ci = cpuidleOf(dir);
    expect(ci.driver).toBeNull();
    expect(ci.governor).toBeNull();
    expect(ci.haltpoll.absence).toBe('no-cpuidle');
  });

  it('per-CPU PM QoS: "n/a" means 0 µs allowed, a number is a limit, "0" none', () => {
    dir = copyFixture(KVM_FIXTURE);
    writeFileSync(join(dir, 'sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us'), 'n/a\n');
    writeFileSync(join(dir, 'sys/devices/system/cpu/cpu1/power/pm_qos_resume_latency_us'), '20\n');
    expect(cpuidleOf(dir).resumeLatency).toEqual([
      { cpu: 0, raw: 'n/a', limitUs: 0 },
      { cpu: 1, raw: '20', limitUs: 20 },
    ]);
  });

  it('a disabled idle state', () => {
    dir = copyFixture(KVM_FIXTURE);
    writeFileSync(join(dir, 'sys/devices/system/cpu/cpu1/cpuidle/state1/disable'), '1\n');
    const ci = cpuidleOf(dir);
    expect(ci.perCpu[1]!.states[1]!.disabled).toBe(true);
    expect(ci.perCpu[0]!.states[1]!.disabled).toBe(false);
  });
});

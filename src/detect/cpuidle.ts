import { parseCpuList } from './cpu-list.js';
import { cpuDirectories } from './cpus.js';
import { detectHaltpoll, type HaltpollInfo } from './haltpoll.js';
import type { SysReader } from './reader.js';

export interface CpuidleState {
  /** K of stateK. */
  index: number;
  name: string | null;
  desc: string | null;
  /** Exit latency in µs. */
  latencyUs: number | null;
  /** Target residency in µs. */
  residencyUs: number | null;
  /** The state is disabled for this CPU (stateK/disable = 1). */
  disabled: boolean | null;
  /** Times entered (volatile). */
  usage: number | null;
  /** µs spent in the state (volatile). */
  timeUs: number | null;
}

export interface CpuIdleStates {
  cpu: number;
  states: CpuidleState[];
}

/**
 * Per-CPU PM QoS resume latency (cpuN/power/pm_qos_resume_latency_us). The kernel shows "0" for
 * "no constraint" and "n/a" for "0 µs allowed" (the idle governor then only polls).
 */
export interface CpuResumeLatency {
  cpu: number;
  raw: string | null;
  /** The limit in µs: null = no constraint, 0 = no idle state may be entered except polling. */
  limitUs: number | null;
}

export interface CpufreqPolicy {
  policy: string;
  cpus: number[] | null;
  driver: string | null;
  governor: string | null;
}

export interface CpuidleInfo {
  /** /sys/devices/system/cpu/cpuidle/current_driver, e.g. "haltpoll", "intel_idle", "acpi_idle", "none". */
  driver: string | null;
  /** current_governor (or current_governor_ro on kernels without governor switching). */
  governor: string | null;
  availableGovernors: string[] | null;
  perCpu: CpuIdleStates[];
  haltpoll: HaltpollInfo;
  resumeLatency: CpuResumeLatency[];
  /** cpufreq policies; empty when the guest has no cpufreq (usual in VMs). */
  cpufreq: CpufreqPolicy[];
}

const CPU = '/sys/devices/system/cpu';

export function detectCpuidle(r: SysReader): CpuidleInfo {
  const driver = r.optional(`${CPU}/cpuidle/current_driver`);
  const governor = r.optional(`${CPU}/cpuidle/current_governor`) ?? r.optional(`${CPU}/cpuidle/current_governor_ro`);
  const available = r.optional(`${CPU}/cpuidle/available_governors`);
  const cpus = cpuDirectories(r);
  return {
    driver,
    governor,
    availableGovernors: available === null ? null : available.split(/\s+/).filter(Boolean),
    perCpu: cpus.map((cpu) => ({ cpu, states: cpuStates(r, cpu) })),
    haltpoll: detectHaltpoll(r, driver, governor),
    resumeLatency: cpus.map((cpu) => resumeLatency(r, cpu)),
    cpufreq: cpufreqPolicies(r),
  };
}

function cpuStates(r: SysReader, cpu: number): CpuidleState[] {
  const dir = `${CPU}/cpu${cpu}/cpuidle`;
  const states: CpuidleState[] = [];
  for (const entry of r.list(dir)) {
    const m = /^state(\d+)$/.exec(entry);
    if (!m) continue;
    const s = `${dir}/${entry}`;
    states.push({
      index: Number(m[1]),
      name: r.attr(`${s}/name`),
      desc: r.attr(`${s}/desc`),
      latencyUs: r.int(`${s}/latency`),
      residencyUs: r.int(`${s}/residency`),
      disabled: r.bool(`${s}/disable`),
      usage: r.int(`${s}/usage`),
      timeUs: r.int(`${s}/time`),
    });
  }
  return states.sort((a, b) => a.index - b.index);
}

function resumeLatency(r: SysReader, cpu: number): CpuResumeLatency {
  const raw = r.optional(`${CPU}/cpu${cpu}/power/pm_qos_resume_latency_us`);
  let limitUs: number | null = null;
  if (raw === 'n/a') limitUs = 0;
  else if (raw !== null && /^\d+$/.test(raw) && raw !== '0') limitUs = Number(raw);
  return { cpu, raw, limitUs };
}

function cpufreqPolicies(r: SysReader): CpufreqPolicy[] {
  return r
    .list(`${CPU}/cpufreq`)
    .filter((e) => /^policy\d+$/.test(e))
    .map((policy) => {
      const dir = `${CPU}/cpufreq/${policy}`;
      return {
        policy,
        cpus: r.parse(`${dir}/affected_cpus`, true, (t) => parseCpuList(t.replace(/\s+/g, ','))),
        driver: r.optional(`${dir}/scaling_driver`),
        governor: r.optional(`${dir}/scaling_governor`),
      };
    });
}

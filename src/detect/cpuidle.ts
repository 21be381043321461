import { parseCpuList } from './cpu-list.js';
import { cpuDirectories } from './cpus.js';
import { detectHaltpoll } from './haltpoll.js';
import type { SysReader } from './reader.js';
import type { CpuidleState, CpuResumeLatency, CpufreqPolicy, CpuidleInfo } from '../contracts/detect-cpus.js';

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

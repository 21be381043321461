import { modulePresence } from './kernel-modules.js';
import type { SysReader } from './reader.js';
import type { HaltpollParameters, HaltpollInfo } from '../contracts/detect-cpus.js';

const PARAMS = '/sys/module/haltpoll/parameters';

export function detectHaltpoll(r: SysReader, driver: string | null, governor: string | null): HaltpollInfo {
  const governorBuilt = r.root.isDir('/sys/module/haltpoll');
  const parameters: HaltpollParameters | null = governorBuilt
    ? {
        guestHaltPollNs: r.int(`${PARAMS}/guest_halt_poll_ns`),
        guestHaltPollShrink: r.int(`${PARAMS}/guest_halt_poll_shrink`),
        guestHaltPollGrow: r.int(`${PARAMS}/guest_halt_poll_grow`),
        guestHaltPollGrowStart: r.int(`${PARAMS}/guest_halt_poll_grow_start`),
        guestHaltPollAllowShrink: r.bool(`${PARAMS}/guest_halt_poll_allow_shrink`),
      }
    : null;
  const forced = r.bool('/sys/module/cpuidle_haltpoll/parameters/force', true);
  const driverActive = driver === null ? null : driver === 'haltpoll';
  const governorActive = governor === null ? null : governor === 'haltpoll';
  const presence = modulePresence(r.root, 'cpuidle_haltpoll');
  const base = { driverActive, governorBuilt, governorActive, driverModule: presence.kind, driverModuleLoaded: presence.loaded, driverModuleEvidence: presence.evidence, forced, parameters };

  if (driver === null) {
    return { ...base, polling: false, absence: 'no-cpuidle', explanation: 'no cpuidle driver (/sys/devices/system/cpu/cpuidle absent): guest halt polling is unavailable' };
  }
  if (!driverActive) {
    // Loading the driver would not be enough on a kernel without the governor: say so too.
    const governorNote = governorBuilt ? '' : '; the haltpoll governor is not built either (/sys/module/haltpoll absent)';
    const how =
      presence.kind === 'module' && !presence.loaded
        ? '; it is a loadable module, not loaded: `modprobe cpuidle-haltpoll force=1` loads it at runtime'
        : presence.kind === 'builtin'
          ? '; it is built in, so only cpuidle_haltpoll.force=1 on the kernel command line and a reboot bring it up'
          : presence.kind === 'absent'
            ? '; this kernel has no cpuidle-haltpoll driver'
            : '';
    return {
      ...base,
      polling: false,
      absence: 'driver-not-loaded',
      explanation: `cpuidle driver is ${driver}, not haltpoll: cpuidle-haltpoll is not loaded (needs KVM paravirt and hint-dedicated or cpuidle_haltpoll.force=1, and no idle=)${how}${governorNote}`,
    };
  }
  if (!governorBuilt) {
    return {
      ...base,
      polling: false,
      absence: 'governor-not-built',
      explanation: 'cpuidle driver is haltpoll but /sys/module/haltpoll is absent: the haltpoll governor is not built (CONFIG_CPU_IDLE_GOV_HALTPOLL unset), so the guest never polls before halting',
    };
  }
  if (governorActive === false) {
    return { ...base, polling: false, absence: 'governor-not-selected', explanation: `cpuidle driver is haltpoll but the governor is ${governor}: guest_halt_poll_ns has no effect` };
  }
  const ns = parameters?.guestHaltPollNs ?? null;
  if (ns === null) return { ...base, polling: null, absence: null, explanation: 'haltpoll driver and governor active; guest_halt_poll_ns unreadable' };
  if (ns === 0) return { ...base, polling: false, absence: null, explanation: 'haltpoll driver and governor active but guest_halt_poll_ns = 0: polling disabled' };
  return { ...base, polling: true, absence: null, explanation: `haltpoll active: a vCPU polls up to ${ns} ns before halting` };
}

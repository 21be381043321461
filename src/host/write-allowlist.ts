/** Block queue attributes nvprobe may set. */
export const QUEUE_ATTRS = ['scheduler', 'nomerges', 'rq_affinity', 'add_random', 'iostats', 'rotational', 'nr_requests', 'wbt_lat_usec', 'read_ahead_kb', 'max_sectors_kb'] as const;

/** Module parameters writable at runtime through /sys/module/<module>/parameters. */
export const RUNTIME_MODULE_PARAMS: Record<string, readonly string[]> = {
  haltpoll: ['guest_halt_poll_ns', 'guest_halt_poll_shrink', 'guest_halt_poll_grow', 'guest_halt_poll_grow_start', 'guest_halt_poll_allow_shrink'],
};

/** Modules nvprobe may load at runtime (`modprobe <m> <param>=<value>`; revert: `modprobe -r <m>`), with their parameters. */
export const LOADABLE_MODULES: Record<string, readonly string[]> = {
  cpuidle_haltpoll: ['force'],
};

/**
 * Every guest path nvprobe may ever write, as patterns. host/ refuses anything else, so neither a
 * bug nor a hostile rule file can make nvprobe write elsewhere.
 */
const PATTERNS: RegExp[] = [
  new RegExp(`^/sys/block/[a-z0-9!._-]+/queue/(${QUEUE_ATTRS.join('|')})$`),
  ...Object.entries(RUNTIME_MODULE_PARAMS).map(([m, ps]) => new RegExp(`^/sys/module/${m}/parameters/(${ps.join('|')})$`)),
  /^\/sys\/devices\/system\/cpu\/cpu\d+\/power\/pm_qos_resume_latency_us$/,
  /^\/sys\/devices\/system\/cpu\/cpuidle\/current_governor$/,
  /^\/etc\/modprobe\.d\/nvprobe\.conf$/,
  /^\/etc\/udev\/rules\.d\/60-nvprobe\.rules$/,
  /^\/etc\/default\/grub$/,
  /^\/etc\/default\/grub\.d\/60-nvprobe\.cfg$/,
  /^\/etc\/kernel\/cmdline$/,
  /^\/boot\/loader\/entries\/[^/]+\.conf$/,
  /^\/boot\/grub2?\/grubenv$/,
];

export function writeAllowed(guestPath: string): boolean {
  return !guestPath.includes('/../') && PATTERNS.some((p) => p.test(guestPath));
}

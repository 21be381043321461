/** Where a kept action persists. */
export type PersistRoute = 'udev' | 'modprobe' | 'kernel-cmdline' | 'runtime-only' | 'none';

export interface ActionRoute {
  route: PersistRoute;
  /** For kernel-cmdline: the parameter (`haltpoll.guest_halt_poll_ns`). */
  param?: string;
  /** Why this route, in words. */
  why: string;
}

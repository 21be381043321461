import { setTimeout as sleep } from 'node:timers/promises';
import { RUNTIME_MODULE_PARAMS } from '../../host/write-allowlist.js';
import type { KnobKind } from '../kind.js';
import { sameValue, type RuntimeKnob } from '../knob.js';
import { moduleOptionRoute } from '../persist/module-option-route.js';

/**
 * Idle periods after a haltpoll parameter changed. The haltpoll governor keeps a poll limit per
 * CPU and moves it towards guest_halt_poll_ns only when that CPU halts (governors/haltpoll.c:
 * adjust_poll_limit runs after the halt state). A CPU kept busy by QD1 reads never halts: every
 * wait ends inside the poll window, so a LOWERED guest_halt_poll_ns has no effect on it until it
 * sleeps, and a measurement right after the write still polls (measured: 0 after 400000 read as
 * fast as 400000). Each sleep outlasts any poll window tune tries (≤ 400 µs), so the CPU halts and
 * the limit shrinks once (÷ guest_halt_poll_shrink, 0 below guest_halt_poll_grow_start): 12 halts
 * bring any limit up to 4096 × grow_start down to 0 with the defaults. ~25 ms per switch.
 */
const SETTLE_SLEEPS = 12;
const SETTLE_SLEEP_MS = 2;

async function haltpollSettle(): Promise<void> {
  for (let i = 0; i < SETTLE_SLEEPS; i++) await sleep(SETTLE_SLEEP_MS);
}

/** /sys/module/<module>/parameters/<param> for parameters writable at runtime (haltpoll's). */
const moduleParamKnob: RuntimeKnob = {
  paths: (_root, a) => [`/sys/module/${a.module}/parameters/${a.param}`],
  read: (root, a) => [root.attr(`/sys/module/${a.module}/parameters/${a.param}`)],
  writes: (_root, a, value = a.value) => [{ op: 'attr', path: `/sys/module/${a.module}/parameters/${a.param}`, value: String(value) }],
  verify(root, a, value = a.value) {
    return this.read(root, a).every((v) => sameValue(v, value));
  },
  settle: (_root, a) => (a.module === 'haltpoll' ? haltpollSettle() : Promise.resolve()),
};

/** A module parameter writable at runtime; persisted in modprobe.d or on the kernel command line. */
export const moduleParamKind: KnobKind = {
  name: 'module-param',
  keys: ['kind', 'module', 'param', 'value', 'grid'],
  scope: 'machine',
  takesEffect: 'runtime',
  check(a, at) {
    if (RUNTIME_MODULE_PARAMS[String(a.module)]?.includes(String(a.param))) return [];
    return [{ at, message: `${String(a.module)}.${String(a.param)} is not an allowed runtime module parameter` }];
  },
  resolve: (spec) => ({ target: `${spec.module}.${spec.param}`, module: spec.module, param: spec.param }),
  knob: moduleParamKnob,
  route: moduleOptionRoute,
};

import { QUEUE_ATTRS } from '../../host/write-allowlist.js';
import type { KnobKind } from '../kind.js';
import { activeValue, sameValue, type RuntimeKnob } from '../knob.js';
import { udevadm, UDEV_RULES } from '../persist/udev-rules.js';

/** /sys/block/<disk>/queue/<attr>: scheduler, nomerges, rotational, iostats... */
const queueAttrKnob: RuntimeKnob = {
  paths: (_root, a) => [`/sys/block/${a.disk}/queue/${a.attr}`],
  read: (root, a) => [activeValue(root.attr(`/sys/block/${a.disk}/queue/${a.attr}`))],
  writes: (_root, a, value = a.value) => [{ op: 'attr', path: `/sys/block/${a.disk}/queue/${a.attr}`, value: String(value) }],
  verify(root, a, value = a.value) {
    return this.read(root, a).every((v) => sameValue(v, value));
  },
};

/** A block queue attribute of the rule's disk; persisted as a udev rule. */
export const queueAttrKind: KnobKind = {
  name: 'queue-attr',
  keys: ['kind', 'attr', 'value', 'grid'],
  scope: 'disk',
  takesEffect: 'runtime',
  check(a, at) {
    if ((QUEUE_ATTRS as readonly string[]).includes(String(a.attr))) return [];
    return [{ at: `${at}.attr`, message: `'${String(a.attr)}' is not an allowed queue attribute (${QUEUE_ATTRS.join(', ')})` }];
  },
  resolve: (spec, _value, disk) => ({ target: `${disk}:queue/${spec.attr}`, disk, attr: spec.attr }),
  knob: queueAttrKnob,
  route(root) {
    if (udevadm(root) === null) return { route: 'none', why: 'udev is not installed (no udevadm): a rules file would never be read' };
    return { route: 'udev', why: `udev rule in ${UDEV_RULES}` };
  },
};

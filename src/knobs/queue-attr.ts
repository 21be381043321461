import { activeValue, sameValue, type RuntimeKnob } from './knob.js';

/** /sys/block/<disk>/queue/<attr>: scheduler, nomerges, rotational, iostats... */
export const queueAttrKnob: RuntimeKnob = {
  paths: (_root, a) => [`/sys/block/${a.disk}/queue/${a.attr}`],
  read: (root, a) => [activeValue(root.attr(`/sys/block/${a.disk}/queue/${a.attr}`))],
  writes: (_root, a, value = a.value) => [{ op: 'attr', path: `/sys/block/${a.disk}/queue/${a.attr}`, value: String(value) }],
  verify(root, a, value = a.value) {
    return this.read(root, a).every((v) => sameValue(v, value));
  },
};

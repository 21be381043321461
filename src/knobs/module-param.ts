import { sameValue, type RuntimeKnob } from './knob.js';

/** /sys/module/<module>/parameters/<param> for parameters writable at runtime (haltpoll's). */
export const moduleParamKnob: RuntimeKnob = {
  paths: (_root, a) => [`/sys/module/${a.module}/parameters/${a.param}`],
  read: (root, a) => [root.attr(`/sys/module/${a.module}/parameters/${a.param}`)],
  writes: (_root, a, value = a.value) => [{ op: 'attr', path: `/sys/module/${a.module}/parameters/${a.param}`, value: String(value) }],
  verify(root, a, value = a.value) {
    return this.read(root, a).every((v) => sameValue(v, value));
  },
};

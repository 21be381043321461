import { NvprobeError } from '../errors.js';
import type { ActionKind } from '../contracts/actions.js';
import type { RuntimeKnob } from './knob.js';
import { moduleLoadKnob } from './module-load.js';
import { moduleParamKnob } from './module-param.js';
import { pmQosKnob } from './pm-qos.js';
import { queueAttrKnob } from './queue-attr.js';

const RUNTIME: Partial<Record<ActionKind, RuntimeKnob>> = {
  'queue-attr': queueAttrKnob,
  'module-param': moduleParamKnob,
  'pm-qos': pmQosKnob,
  'module-load': moduleLoadKnob,
};

export function runtimeKnob(kind: ActionKind): RuntimeKnob {
  const k = RUNTIME[kind];
  if (!k) throw new NvprobeError(`${kind} actions take effect only after a reboot; they have no runtime knob`);
  return k;
}

export function isRuntimeKind(kind: ActionKind): boolean {
  return kind in RUNTIME;
}

import { NvprobeError } from '../errors.js';
import type { KnobKind } from './kind.js';
import type { RuntimeKnob } from './knob.js';
import { kernelCmdlineKind } from './kinds/kernel-cmdline.js';
import { modprobeOptionKind } from './kinds/modprobe-option.js';
import { moduleLoadKind } from './kinds/module-load.js';
import { moduleParamKind } from './kinds/module-param.js';
import { pmQosKind } from './kinds/pm-qos.js';
import { queueAttrKind } from './kinds/queue-attr.js';

/**
 * Every kind of change nvprobe may make, by name: what rules may ask for, how tune plans, sets
 * and persists it. Rule loading, planning, the session, persistence and verify all read this;
 * none of them knows a kind by name. The order is the one rule-validation messages list.
 */
const BUILT_IN: readonly KnobKind[] = [queueAttrKind, moduleParamKind, pmQosKind, kernelCmdlineKind, modprobeOptionKind, moduleLoadKind];

const kinds = new Map<string, KnobKind>(BUILT_IN.map((k) => [k.name, k]));

export function findKnobKind(name: string): KnobKind | undefined {
  return kinds.get(name);
}

export function knobKind(name: string): KnobKind {
  const k = kinds.get(name);
  if (!k) throw new NvprobeError(`'${name}' is not a kind of change nvprobe knows (${knobKindNames().join(', ')})`);
  return k;
}

export function knobKindNames(): string[] {
  return [...kinds.keys()];
}

/** The runtime knob of a kind that has one. */
export function runtimeKnob(name: string): RuntimeKnob {
  const k = knobKind(name);
  if (k.takesEffect !== 'runtime') throw new NvprobeError(`${name} actions take effect only after a reboot; they have no runtime knob`);
  return k.knob;
}

/**
 * Add a kind beside the built-in ones, for this process (a kind defined outside src/knobs/kinds/,
 * e.g. by a test). Returns what removes it again.
 */
export function registerKnobKind(kind: KnobKind): () => void {
  if (kinds.has(kind.name)) throw new NvprobeError(`a knob kind named ${kind.name} is registered already`);
  kinds.set(kind.name, kind);
  return () => {
    if (kinds.get(kind.name) === kind) kinds.delete(kind.name);
  };
}

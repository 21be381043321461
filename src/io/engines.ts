import type { EngineDescriptor, EngineName } from './engine.js';
import { IO_URING } from './io-uring.js';
import { NULL_ENGINE } from './null-engine.js';
import { PSYNC2 } from './psync2.js';

/** Every engine nvprobe has, by descriptor; `probe --engine` offers the choosable ones in this order. */
export const ENGINES: readonly EngineDescriptor[] = [PSYNC2, IO_URING, NULL_ENGINE];

export function engineDescriptor(name: EngineName): EngineDescriptor {
  const d = ENGINES.find((e) => e.name === name);
  if (!d) throw new Error(`no engine descriptor for ${name}`);
  return d;
}

import type { EngineDescriptor } from './engine.js';
import { IO_URING } from './io-uring.js';
import { NULL_ENGINE } from './null-engine.js';
import { PSYNC2 } from './psync2.js';
import type { EngineName } from '../contracts/probe-document.js';

const registry: EngineDescriptor[] = [PSYNC2, IO_URING, NULL_ENGINE];

/** Every engine nvprobe has, by descriptor; `probe --engine` offers the choosable ones in this order. */
export const ENGINES: readonly EngineDescriptor[] = registry;

/**
 * Add an engine (its one file defines the descriptor); returns the function that removes it again.
 * Names are unique and never `auto`; each of auto's roles has at most one engine.
 */
export function registerEngine(d: EngineDescriptor): () => void {
  if (d.name === 'auto' || findEngine(d.name)) throw new Error(`an engine named ${d.name} exists already`);
  if (d.auto && registry.some((e) => e.auto === d.auto)) throw new Error(`${d.name}: --engine auto has an engine for '${d.auto}' already`);
  registry.push(d);
  return () => {
    const at = registry.indexOf(d);
    if (at >= 0) registry.splice(at, 1);
  };
}

export function findEngine(name: EngineName): EngineDescriptor | undefined {
  return registry.find((e) => e.name === name);
}

export function engineDescriptor(name: EngineName): EngineDescriptor {
  const d = findEngine(name);
  if (!d) throw new Error(`no engine descriptor for ${name}`);
  return d;
}

/** The engine `--engine auto` picks in `role` (see EngineDescriptor.auto). */
export function autoEngine(role: 'where-queue-polls'): EngineDescriptor | undefined;
export function autoEngine(role: 'otherwise'): EngineDescriptor;
export function autoEngine(role: NonNullable<EngineDescriptor['auto']>): EngineDescriptor | undefined {
  const d = registry.find((e) => e.auto === role);
  if (!d && role === 'otherwise') throw new Error('no engine for --engine auto to fall back on');
  return d;
}

/** What `probe --engine` accepts: auto, then the choosable engines in registry order. */
export function engineChoices(): string[] {
  return ['auto', ...registry.filter((e) => e.choosable).map((e) => e.name)];
}

/** The choosable engines that take the hipri option (--no-hipri is theirs). */
export function hipriEngines(): EngineDescriptor[] {
  return registry.filter((e) => e.choosable && e.options.includes('hipri'));
}

const POLL_WORDS: Record<NonNullable<EngineDescriptor['polling']>, string> = { RWF_HIPRI: 'RWF_HIPRI', IORING_SETUP_IOPOLL: 'IOPOLL' };

/** `probe --help`'s words for --engine, from the descriptors. */
export function engineHelp(): string {
  const fallback = autoEngine('otherwise');
  const polling = autoEngine('where-queue-polls');
  const auto = polling?.polling ? `${polling.name} with ${POLL_WORDS[polling.polling]} where the disk has poll queues, else ${fallback.name}` : fallback.name;
  return [`auto: ${auto}`, ...registry.filter((e) => e.choosable).map((e) => `${e.name}: ${e.help}`)].join('; ');
}

/** `probe --help`'s words for --no-hipri. */
export function noHipriHelp(): string {
  const takers = hipriEngines();
  const syscalls = [...new Set(takers.map((e) => e.syscall))].join(' or ');
  return `${takers.map((e) => e.name).join(' and ')} only: do not pass RWF_HIPRI to ${syscalls} (with --engine auto: use ${autoEngine('otherwise').name})`;
}

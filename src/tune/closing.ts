import type { ReadTraceSpec } from '../trace/io-events.js';
import type { KernelClockReport } from '../contracts/probe-kernel-clock.js';
import { randomOrder } from './decision.js';
import type { Block, NoiseFloor } from '../contracts/tune-evidence.js';
import type { Meter } from './meter.js';

/**
 * The changes a run kept, switched together between the original settings and the final ones
 * for the closing measurements; each switch goes through the journal like any trial write.
 * Starts in (and must end in) the final state.
 */
export class KeptSwitch {
  private readonly kept: Array<{ apply: () => void; restore: () => void }> = [];
  private state: 'original' | 'final' = 'final';

  add(apply: () => void, restore: () => void): void {
    this.kept.push({ apply, restore });
  }

  get size(): number {
    return this.kept.length;
  }

  /** Restore newest first, apply oldest first: a change measured on top of another keeps that order. */
  to(state: 'original' | 'final'): void {
    if (state === this.state) return;
    if (state === 'original') for (const k of [...this.kept].reverse()) k.restore();
    else for (const k of this.kept) k.apply();
    this.state = state;
  }
}

/**
 * One traced measurement of the original settings and one of the final ones, back to back in a
 * random order, ending in the final state. Nothing kept: the same settings twice.
 */
export async function tracedPair(meter: Meter, spec: ReadTraceSpec, ms: number, kept: KeptSwitch): Promise<{ before: KernelClockReport; after: KernelClockReport }> {
  if (!kept.size) return { before: await meter.traced(spec, ms), after: await meter.traced(spec, ms) };
  const first = randomOrder() === 'ABBA' ? 'original' : 'final';
  kept.to(first);
  const a = await meter.traced(spec, ms);
  kept.to(first === 'original' ? 'final' : 'original');
  const b = await meter.traced(spec, ms);
  kept.to('final');
  return first === 'original' ? { before: a, after: b } : { before: b, after: a };
}

/** The unchanged settings against themselves: how far apart blocks are with nothing changed. */
export function noiseFloor(blocks: Block[]): NoiseFloor {
  const ratios = blocks.map((b) => b.ratio);
  const lo = Math.min(...ratios);
  const hi = Math.max(...ratios);
  return { blocks, range: [lo, hi], spread: Math.max(Math.abs(lo - 1), Math.abs(hi - 1)) };
}

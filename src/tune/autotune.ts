import { median } from 'simple-statistics';
import type { RoundFigures, GridPoint } from '../contracts/tune-evidence.js';

export interface GridResult {
  points: GridPoint[];
  best: GridPoint;
  /** The smallest value within `tolerance` of the best: the knee, since more polling costs host CPU. */
  chosen: GridPoint;
  tolerance: number;
}

/**
 * Measure every grid value `passes` times, visiting them in a rotated order each pass so no value
 * always follows the same one, and pick the knee.
 */
export async function gridSearch(values: Array<string | number>, passes: number, set: (v: string | number) => void, measure: () => Promise<RoundFigures>, tolerance = 0.02): Promise<GridResult> {
  const samples = new Map<string | number, RoundFigures[]>(values.map((v) => [v, []]));
  for (let pass = 0; pass < passes; pass++) {
    const order = values.map((_, i) => values[(i + pass) % values.length]!);
    for (const v of order) {
      set(v);
      samples.get(v)!.push(await measure());
    }
  }
  const points = values.map((v) => {
    const rounds = samples.get(v)!;
    const p50Us = rounds.map((r) => r.p50Us);
    return { value: v, p50Us, medianP50Us: median(p50Us), rounds };
  });
  const best = points.reduce((a, b) => (b.medianP50Us < a.medianP50Us ? b : a));
  const byValue = [...points].sort((a, b) => Number(a.value) - Number(b.value));
  const chosen = byValue.find((p) => p.medianP50Us <= best.medianP50Us * (1 + tolerance)) ?? best;
  return { points, best, chosen, tolerance };
}

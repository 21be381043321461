import { median } from 'simple-statistics';
import type { RoundFigures, GridPoint, GridChoice } from '../contracts/tune-evidence.js';
import type { CpuWindow } from '../contracts/cpu-cost.js';
import { mergeCpuWindows, summarizeCpu } from '../stats/cpu-cost.js';

/** The knee's tolerance when the noise floor is quieter than this: 2 % is below any gain tune keeps. */
export const MIN_GRID_TOLERANCE = 0.02;

export interface GridResult {
  points: GridPoint[];
  best: GridPoint;
  /** The cheapest value within the tolerance of the best and under the cap: the knee, since more polling costs host CPU. */
  chosen: GridPoint;
  choice: GridChoice;
}

export interface GridOptions {
  values: Array<string | number>;
  passes: number;
  set: (v: string | number) => void;
  measure: () => Promise<{ figures: RoundFigures; cpu: CpuWindow | null }>;
  /** The idle polling share with a value set (a share of a vCPU); absent: the knob does not act on idle. */
  idleCost?: (v: string | number) => Promise<number | null>;
  /** How far apart two measurements of the same settings were in this run (the noise floor's spread). */
  noise: number;
  /** Values whose idle polling share is above this are not chosen; null: no cap. */
  maxIdlePollShare: number | null;
}

/**
 * Measure every grid value `passes` times, visiting them in a rotated order each pass so no value
 * always follows the same one; then each value's idle polling share; then pick the knee.
 */
export async function gridSearch(o: GridOptions): Promise<GridResult> {
  const samples = new Map<string | number, Array<{ figures: RoundFigures; cpu: CpuWindow | null }>>(o.values.map((v) => [v, []]));
  for (let pass = 0; pass < o.passes; pass++) {
    const order = o.values.map((_, i) => o.values[(i + pass) % o.values.length]!);
    for (const v of order) {
      o.set(v);
      samples.get(v)!.push(await o.measure());
    }
  }
  const idle = new Map<string | number, number | null>();
  if (o.idleCost) for (const v of o.values) idle.set(v, await o.idleCost(v));
  const points: GridPoint[] = o.values.map((v) => {
    const got = samples.get(v)!;
    const rounds = got.map((r) => r.figures);
    const p50Us = rounds.map((r) => r.p50Us);
    const windows = got.map((r) => r.cpu).filter((w): w is CpuWindow => w !== null);
    const merged = windows.length === got.length ? mergeCpuWindows(windows) : null;
    return { value: v, p50Us, medianP50Us: median(p50Us), rounds, cpu: merged && summarizeCpu(merged), idlePollShare: o.idleCost ? (idle.get(v) ?? null) : undefined };
  });
  return { points, ...chooseKnee(points, o.noise, o.maxIdlePollShare) };
}

/**
 * The knee: among the values whose median p50 is within the noise of the best one (never less
 * than MIN_GRID_TOLERANCE), and whose idle polling share is under the cap, the cheapest: by the
 * idle polling share where it was measured, then by the vCPUs' busy share during the reads (what
 * polling costs while the reads wait); shares within a half point (idle) or two points (busy)
 * are a tie, broken by the grid's order (rules list values from the cheapest). When no value within the noise is under the cap, the
 * fastest value under the cap is tried instead: the A/B decision then says whether it still gains.
 */
export function chooseKnee(points: GridPoint[], noise: number, cap: number | null): { best: GridPoint; chosen: GridPoint; choice: GridChoice } {
  const best = points.reduce((a, b) => (b.medianP50Us < a.medianP50Us ? b : a));
  const tolerance = Math.max(MIN_GRID_TOLERANCE, noise);
  const overCap = (p: GridPoint) => cap !== null && p.idlePollShare != null && p.idlePollShare > cap;
  const excluded = points.filter(overCap).map((p) => ({ value: p.value, idlePollShare: p.idlePollShare! }));
  const allowed = points.filter((p) => !overCap(p));
  const within = allowed.filter((p) => p.medianP50Us <= best.medianP50Us * (1 + tolerance));
  const byIdle = points.some((p) => p.idlePollShare != null);
  const idleCost = (p: GridPoint) => (byIdle ? Math.round((p.idlePollShare ?? 0) / 0.005) : 0);
  const busyCost = (p: GridPoint) => Math.round((p.cpu?.busyShare ?? 0) / 0.02);
  const order = (p: GridPoint) => points.indexOf(p);
  const cheapest = (ps: GridPoint[]) => [...ps].sort((a, b) => idleCost(a) - idleCost(b) || busyCost(a) - busyCost(b) || order(a) - order(b))[0];
  const fastest = (ps: GridPoint[]) => (ps.length ? ps.reduce((a, b) => (b.medianP50Us < a.medianP50Us ? b : a)) : undefined);
  const chosen = cheapest(within) ?? fastest(allowed) ?? points[0]!;
  return {
    best,
    chosen,
    choice: { tolerance: Math.round(tolerance * 10000) / 10000, costBy: byIdle ? 'idle-poll-share' : 'busy-share', maxIdlePollShare: cap, excluded, reachesBest: within.includes(chosen) },
  };
}

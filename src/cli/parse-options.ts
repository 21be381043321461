import { usageError } from '../errors.js';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, '': 1000 };
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** The longest duration any option takes: a day (timers overflow past 24.8 days). */
export const MAX_DURATION_MS = 24 * 3_600_000;

/** "5s", "500ms", "2m", "1.5s", or a bare number of seconds → milliseconds (> 0). */
export function parseDuration(text: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|)\s*$/i.exec(text);
  const ms = m ? Number(m[1]) * DURATION_UNITS[m[2]!.toLowerCase()]! : NaN;
  if (!Number.isFinite(ms) || ms <= 0) {
    throw usageError(`${option} must be a positive duration such as 5s, 500ms or 2m, not '${text}'`);
  }
  // Timers hold 32-bit milliseconds: a longer wait fires at once (collect's probe "timed out" in 9 ms).
  if (ms > MAX_DURATION_MS) throw usageError(`${option} must be at most 24h, not '${text}'`);
  return ms;
}

/** Like parseDuration but 0 is allowed (e.g. no ramp). */
export function parseDurationOrZero(text: string, option: string): number {
  if (/^\s*0+(\.0+)?\s*(ms|s|m|h)?\s*$/i.test(text)) return 0;
  return parseDuration(text, option);
}

/** "4k", "4KiB", "1G", "512" → bytes (> 0, integer). */
export function parseSize(text: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  const bytes = m ? Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]! : NaN;
  if (!Number.isFinite(bytes) || bytes <= 0 || !Number.isInteger(bytes)) {
    throw usageError(`${option} must be a positive size such as 4k, 64M or 1G, not '${text}'`);
  }
  return bytes;
}

export function parseCount(text: string, option: string): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw usageError(`${option} must be a positive whole number, not '${text}'`);
  return n;
}

export function parseCpu(text: string, option: string, onlineCpus: number): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw usageError(`${option} must be a CPU number (0, 1, ...), not '${text}'`);
  if (n >= onlineCpus) throw usageError(`${option} ${n}: this machine has CPUs 0-${onlineCpus - 1}`);
  return n;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0 && n <= 2 ** 30;
}

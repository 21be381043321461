/**
 * Fault injection for the journal tests: with NVPROBE_TEST_CRASH_AT=N the process kills itself
 * (SIGKILL: no cleanup, no exit handlers, like a power cut) at the N-th crash point reached.
 * Unset, it costs one comparison.
 */
const target = Number(process.env.NVPROBE_TEST_CRASH_AT ?? 0);
let reached = 0;

export function crashPoint(_where: string): void {
  if (target > 0 && ++reached === target) process.kill(process.pid, 'SIGKILL');
}

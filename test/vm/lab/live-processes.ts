import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

// What a lab run owns and must not outlive it, even when a test throws or the runner ends the
// process early: vitest stops its workers with SIGTERM, which skips 'exit' handlers by default.
const processes = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let hooked = false;

function cleanUp(): void {
  for (const p of processes) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', cleanUp);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSignal = () => {
      cleanUp();
      // Then die of the same signal, as without us (unless someone else handles it).
      process.removeListener(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

export function trackProcess(p: ChildProcess): void {
  hookExit();
  processes.add(p);
  p.once('exit', () => processes.delete(p));
}

/** Remove `dir` at process end at the latest; call the returned function to remove it now. */
export function trackTempDir(dir: string): () => void {
  hookExit();
  tempDirs.add(dir);
  return () => {
    tempDirs.delete(dir);
    rmSync(dir, { recursive: true, force: true });
  };
}

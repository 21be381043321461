/**
 * Last-chance cleanups (scratch files, journaled reverts) that must run however the process
 * ends: normal exit, an error, or SIGINT/SIGTERM/SIGHUP. Handlers are synchronous on purpose:
 * nothing asynchronous runs after a signal handler calls process.exit.
 */
type Cleanup = () => void;

const cleanups = new Set<Cleanup>();
let installed = false;

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

function runAll(): void {
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    try {
      fn();
    } catch {
      // A failing cleanup must not stop the others.
    }
  }
}

/**
 * Handle SIGINT/SIGTERM/SIGHUP from now on, with or without a cleanup registered: the run ends
 * with its `nvprobe: interrupted` line and 130/143/129 (a probe of a file without tracing died
 * silently by the signal).
 */
export function installSignalHandlers(): void {
  install();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const [sig, code] of Object.entries(SIGNAL_EXIT)) {
    process.on(sig as NodeJS.Signals, () => {
      // On a terminal, end the line ^C or a progress line left open; in a log, no blank first line.
      process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}nvprobe: interrupted by ${sig}, cleaning up\n`);
      runAll();
      process.exit(code);
    });
  }
}

export interface CleanupHandle {
  /** Run it now (once) and unregister it. */
  run(): void;
  /** Unregister it without running it. */
  cancel(): void;
}

export function registerCleanup(fn: Cleanup): CleanupHandle {
  install();
  cleanups.add(fn);
  return {
    run() {
      if (cleanups.delete(fn)) fn();
    },
    cancel() {
      cleanups.delete(fn);
    },
  };
}

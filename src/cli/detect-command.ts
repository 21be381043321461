import type { Command } from 'commander';

interface DetectOptions {
  root?: string;
  json?: boolean;
}

export function registerDetect(program: Command): Command {
  return program
    .command('detect')
    .description('show what nvprobe sees: kernel, hypervisor, cpuidle/haltpoll, CPUs and every block device')
    .option('--root <dir>', 'read a captured tree (DIR/sys, DIR/proc) instead of this machine')
    .option('--json', 'print the Snapshot as one JSON document (with schemaVersion)')
    .action(async (opts: DetectOptions) => {
      // Loaded here, not at start-up: other commands need none of it.
      const [{ openRoot }, { detectSnapshot }, { renderDetectSummary }] = await Promise.all([
        import('../host/open-root.js'),
        import('../detect/snapshot.js'),
        import('./detect-summary.js'),
      ]);
      const snapshot = detectSnapshot(openRoot(opts.root));
      process.stdout.write(opts.json ? `${JSON.stringify(snapshot, null, 2)}\n` : renderDetectSummary(snapshot));
    });
}

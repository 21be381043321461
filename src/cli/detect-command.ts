import type { Command } from 'commander';
import { printJson, printText } from './output.js';
import { inlineStrings } from '../report/terminal-safe.js';

interface DetectOptions {
  root?: string;
  from?: string;
  json?: boolean;
}

export function registerDetect(program: Command): Command {
  return program
    .command('detect')
    .description('show what nvprobe sees: kernel, hypervisor, cpuidle/haltpoll, CPUs and every block device')
    .option('--root <dir>', 'read a captured tree (DIR/sys, DIR/proc) instead of this machine')
    .option('--from <bundle>', 'read the tree inside a bundle written by `nvprobe collect`')
    .option('--json', 'print the Snapshot as one JSON document (with schemaVersion)')
    .action(async (opts: DetectOptions) => {
      // Loaded here, not at start-up: other commands need none of it.
      const [{ openRootOrBundle }, { detectSnapshot }, { renderDetectSummary }] = await Promise.all([
        import('./from-bundle.js'),
        import('../detect/snapshot.js'),
        import('../report/detect-summary.js'),
      ]);
      const snapshot = detectSnapshot(openRootOrBundle(opts));
      if (opts.json) printJson(snapshot);
      else printText(renderDetectSummary(inlineStrings(snapshot)));
    });
}

import type { Command } from 'commander';
import { printErrorLine, printJson, printText } from './output.js';
import { inlineText } from '../report/terminal-safe.js';

interface SnapshotOptions {
  root?: string;
  json?: boolean;
}

export function registerSnapshot(program: Command): Command {
  return program
    .command('snapshot')
    .description('copy the part of /sys and /proc that detect reads into DIR (identifiers redacted), for `detect --root DIR`')
    .argument('<dir>', 'new or empty directory to write')
    .option('--root <src>', 'copy from a captured tree instead of this machine')
    .option('--json', 'print what was written as one JSON document')
    .action(async (dir: string, opts: SnapshotOptions) => {
      const { captureSnapshot } = await import('./snapshot-capture.js');
      const result = captureSnapshot(dir, opts.root);
      if (opts.json) {
        printJson(result);
        return;
      }
      printText(`wrote ${inlineText(dir)}: ${result.files} files, ${result.links} links, ${result.dirs} directories; ` + `${result.redacted.length} identifying values redacted\n`);
      if (result.skipped.length > 0) {
        printErrorLine(`nvprobe: ${result.skipped.length} files could not be read and are missing from the copy (${result.skipped.slice(0, 3).join(', ')}${result.skipped.length > 3 ? ', ...' : ''})`);
        // As root, what is left out was not a readable regular file (a FIFO, a huge file in a captured tree).
        process.stderr.write(
          process.geteuid?.() === 0
            ? 'hint: they could not be read even as root (not regular files, too large, or I/O errors); see --json "skipped"\n'
            : 'hint: run as root to capture every attribute\n',
        );
      }
    });
}

import type { Command } from 'commander';
import { printJson, printText } from './output.js';
import { nvprobeVersion } from './version.js';

/** `nvprobe version`: what tools of the kind answer (and what a bug report needs), without suggesting `verify`. */
export function registerVersion(program: Command): Command {
  return program
    .command('version')
    .description("nvprobe's version, and the Node.js and platform it runs on (also: nvprobe --version)")
    .option('--json', 'print one JSON document')
    .action((opts: { json?: boolean }) => {
      const doc = { schemaVersion: 1, kind: 'nvprobe.version', nvprobeVersion: nvprobeVersion(), node: process.version, platform: process.platform, arch: process.arch };
      if (opts.json) printJson(doc);
      else printText(`nvprobe ${doc.nvprobeVersion} (Node.js ${doc.node}, ${doc.platform} ${doc.arch})\n`);
    });
}

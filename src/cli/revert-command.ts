import type { Command } from 'commander';
import { REVERT_SCHEMA_VERSION, STATUS_SCHEMA_VERSION, type RevertDocument, type StatusDocument } from '../contracts/revert-document.js';
import { ExitCode, NvprobeError } from '../errors.js';

interface RevertFlags {
  all?: boolean;
  stateDir?: string;
  root?: string;
  json?: boolean;
}

export function registerRevert(program: Command): Command {
  return program
    .command('revert')
    .description('put back what nvprobe tune changed (the latest run, or --all), from the on-disk journal')
    .option('--all', 'revert every run that still has changes, back to the values before nvprobe')
    .option('--state-dir <dir>', 'where the journal lives (default /var/lib/nvprobe)')
    .option('--root <dir>', 'apply to a captured tree instead of this machine (for offline repair)')
    .option('--json', 'print one JSON document')
    .action(async (flags: RevertFlags) => {
      const [{ Root }, { isRoot }, { acquireLock, stateDir }, { Journal }, { revertChanges }] = await Promise.all([
        import('../host/root.js'),
        import('../host/file-info.js'),
        import('../host/state-dir.js'),
        import('../tune/journal.js'),
        import('../tune/revert.js'),
      ]);
      if (!flags.root && !isRoot()) throw new NvprobeError('revert writes kernel settings and needs root', { exitCode: ExitCode.needsRoot, hint: 'rerun as root (e.g. with sudo)' });
      const dir = stateDir(flags.stateDir);
      const release = acquireLock(dir, 'revert');
      try {
        const journal = Journal.open(dir);
        const reverted = revertChanges(new Root(flags.root ?? '/'), journal, !!flags.all);
        const failed = reverted.filter((r) => r.error);
        journal.archiveIfSettled(`${dir}/runs`);
        if (flags.json) process.stdout.write(`${JSON.stringify({ schemaVersion: REVERT_SCHEMA_VERSION, kind: 'nvprobe.revert', reverted } satisfies RevertDocument, null, 2)}\n`);
        else if (!reverted.length) process.stdout.write('nothing to revert: nvprobe has no change in effect\n');
        else for (const r of reverted) process.stdout.write(r.error ? `FAILED   ${r.path} (${r.error})\n` : `restored ${r.path} = ${r.restored}\n`);
        process.exitCode = failed.length ? ExitCode.partial : ExitCode.ok;
      } finally {
        release();
      }
    });
}

export function registerStatus(program: Command): Command {
  return program
    .command('status')
    .description('what nvprobe has applied, and whether the live values still match')
    .option('--state-dir <dir>', 'where the journal lives (default /var/lib/nvprobe)')
    .option('--root <dir>', 'compare against a captured tree instead of this machine')
    .option('--json', 'print one JSON document')
    .action(async (flags: RevertFlags) => {
      const [{ Root }, { stateDir }, { Journal }, { changeStatus }] = await Promise.all([
        import('../host/root.js'),
        import('../host/state-dir.js'),
        import('../tune/journal.js'),
        import('../tune/revert.js'),
      ]);
      const entries = changeStatus(new Root(flags.root ?? '/'), Journal.open(stateDir(flags.stateDir)));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ schemaVersion: STATUS_SCHEMA_VERSION, kind: 'nvprobe.status', entries } satisfies StatusDocument, null, 2)}\n`);
        return;
      }
      if (!entries.length) process.stdout.write('nvprobe has no change in effect\n');
      for (const e of entries) process.stdout.write(`${e.state.padEnd(8)} ${e.path} = ${e.written}${e.state === 'drifted' ? ` (live: ${e.live})` : ''}   [run ${e.run}]\n`);
    });
}

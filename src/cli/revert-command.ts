import type { Command } from 'commander';
import { REVERT_SCHEMA_VERSION, STATUS_SCHEMA_VERSION, type RevertDocument, type StatusDocument } from '../contracts/revert-document.js';
import { ExitCode, NvprobeError } from '../errors.js';
import { printErrorLine, printJson, printText } from './output.js';
import { inlineStrings } from '../report/terminal-safe.js';

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
    .option('--state-dir <dir>', 'where the journal lives (default /var/lib/nvprobe, or NVPROBE_STATE_DIR); must exist when given')
    .option('--root <dir>', 'apply to a captured tree instead of this machine (for offline repair)')
    .option('--json', 'print one JSON document')
    .action(async (flags: RevertFlags) => {
      const [{ openRoot }, { isRoot }, { acquireLock }, { checkedStateDir }, { Journal }, { revertChanges, restoredPerPath }] = await Promise.all([
        import('../host/open-root.js'),
        import('../host/file-info.js'),
        import('../host/run-lock.js'),
        import('../host/state-dir-check.js'),
        import('../tune/journal.js'),
        import('../tune/revert.js'),
      ]);
      const root = openRoot(flags.root);
      if (!flags.root && !isRoot()) throw new NvprobeError('revert writes kernel settings and needs root', { exitCode: ExitCode.needsRoot, hint: 'rerun as root (e.g. with sudo)' });
      const dir = checkedStateDir(flags.stateDir, 'revert');
      // A captured tree (--root) is nobody else's business: only the journal is locked then.
      const lock = acquireLock(dir, 'revert', { machine: !flags.root });
      try {
        const journal = Journal.open(dir);
        const reverted = revertChanges(root, journal, !!flags.all);
        // A verification armed for changes that are now reverted has nothing left to verify.
        const { readPending, disarm } = await import('../tune/pending-verify.js');
        const armed = readPending(dir);
        if (armed && journal.outstanding(armed.run).length === 0) disarm(dir);
        const failed = reverted.filter((r) => r.error);
        const left = reverted.filter((r) => r.left);
        journal.archiveIfSettled(`${dir}/runs`);
        if (flags.json) printJson({ schemaVersion: REVERT_SCHEMA_VERSION, kind: 'nvprobe.revert', reverted } satisfies RevertDocument);
        else if (!reverted.length) printText('nothing to revert: nvprobe has no change in effect\n');
        else
          for (const r of inlineStrings(restoredPerPath(reverted)))
            printText(
              r.error
                ? `FAILED   ${r.path} (${r.error})\n`
                : r.left
                  ? `left     ${r.path}: now ${r.left.now}, nvprobe set ${r.left.wrote}: changed by someone else since; left as is\n`
                  : `restored ${r.path} = ${r.restored}\n`,
            );
        if (left.length && !flags.json) {
          printErrorLine(`nvprobe: ${left.length} value(s) changed by someone else since nvprobe set them were left as is`);
          printErrorLine(`hint: check ${left.map((r) => r.path).join(', ')} and set what you want by hand`);
        }
        // Exit 4 when anything was not put back: a failed restore, or a value someone else changed.
        process.exitCode = failed.length || left.length ? ExitCode.partial : ExitCode.ok;
      } finally {
        lock.release();
      }
    });
}

export function registerStatus(program: Command): Command {
  return program
    .command('status')
    .description(`what nvprobe has applied, and whether the live values still match (exit ${ExitCode.drifted} when one has drifted)`)
    .option('--state-dir <dir>', 'where the journal lives (default /var/lib/nvprobe, or NVPROBE_STATE_DIR); must exist when given')
    .option('--root <dir>', 'compare against a captured tree instead of this machine')
    .option('--json', 'print one JSON document')
    .action(async (flags: RevertFlags) => {
      const [{ openRoot }, { checkedStateDir }, { readTuningState }] = await Promise.all([import('../host/open-root.js'), import('../host/state-dir-check.js'), import('../tune/tuning-state.js')]);
      const root = openRoot(flags.root);
      const dir = checkedStateDir(flags.stateDir, 'read');
      const { entries, pending, lastVerdict } = readTuningState(root, dir);
      // Like TuneD's verify: a setting nvprobe applied that no longer holds is worth a non-zero exit;
      // then a reboot still owed, then a last verification that reverted.
      process.exitCode = entries.some((e) => e.state === 'drifted')
        ? ExitCode.drifted
        : pending?.rebootRequired
          ? ExitCode.rebootRequired
          : !pending && lastVerdict && lastVerdict.verdict !== 'kept'
            ? ExitCode.verifyFailed
            : ExitCode.ok;
      if (flags.json) {
        printJson({ schemaVersion: STATUS_SCHEMA_VERSION, kind: 'nvprobe.status', entries, pending, lastVerdict } satisfies StatusDocument);
        return;
      }
      if (pending)
        printText(
          `${pending.rebootRequired ? 'reboot required' : 'verification armed'}: ${pending.changes.join(', ')} (run ${pending.run}, armed ${pending.armedAt}; ${pending.rebootRequired || pending.boots > 0 ? 'nvprobe verify runs at the next boot' : 'rebooted since: nvprobe verify has not run yet'})\n`,
        );
      if (lastVerdict) printText(`last verification (run ${lastVerdict.run}, ${lastVerdict.at}): ${lastVerdict.verdict}: ${lastVerdict.reason}\n`);
      if (!entries.length) printText('nvprobe has no change in effect\n');
      for (const e of inlineStrings(entries)) printText(`${e.state.padEnd(8)} ${e.path} = ${e.written}${e.state === 'drifted' ? ` (live: ${e.live})` : ''}   [run ${e.run}]\n`);
    });
}

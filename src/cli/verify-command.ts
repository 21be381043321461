import type { Command } from 'commander';
import { VERIFY_SCHEMA_VERSION, type VerifyDocument } from '../contracts/verify-document.js';
import { ExitCode, NvprobeError } from '../errors.js';
import { parseDuration } from './parse-options.js';
import { printJson, printText } from './output.js';

interface VerifyFlags {
  stateDir?: string;
  root?: string;
  settle: string;
  json?: boolean;
}

export function registerVerify(program: Command): Command {
  return program
    .command('verify')
    .description(
      'after the reboot that `tune --persist` armed: check each change took effect, measure against the saved baseline, keep what helps, revert the rest (run once at boot by nvprobe-verify.service)',
    )
    .option('--state-dir <dir>', 'where the journal and the armed verification live (default /var/lib/nvprobe, or NVPROBE_STATE_DIR)')
    .option('--root <dir>', "read the boot's state from a captured tree instead of this machine (the measurement stays on this machine)")
    .option('--settle <time>', "wait at most this long for the boot's load to settle before measuring (0: do not wait)", '60s')
    .option('--json', 'print one JSON document')
    .action(async (flags: VerifyFlags) => {
      const settleMs = /^0+(ms|s)?$/.test(flags.settle.trim()) ? 0 : parseDuration(flags.settle, '--settle');
      const [{ openRoot }, { Root }, { checkedStateDir }, { acquireLock }, { verifyAfterBoot, rebootNow, verifyMargin, VERIFY_ROUNDS }, { readPending }] = await Promise.all([
        import('../host/open-root.js'),
        import('../host/root.js'),
        import('../host/state-dir-check.js'),
        import('../host/run-lock.js'),
        import('../tune/boot-verify.js'),
        import('../tune/pending-verify.js'),
      ]);
      const root = openRoot(flags.root);
      const { isRoot } = await import('../host/file-info.js');
      if (!isRoot())
        throw new NvprobeError('verify measures, may revert kernel settings and reboot: it needs root', {
          exitCode: ExitCode.needsRoot,
          hint: 'rerun as root (nvprobe-verify.service runs it as root at boot)',
        });
      const dir = checkedStateDir(flags.stateDir, 'revert');
      // Nothing armed (every boot but the one after tune --persist): nothing to judge, and no lock
      // file or state dir created for it. Armed: read again under the lock, which decides.
      const armed = readPending(dir) !== null;
      const lock = armed ? acquireLock(dir, 'verify', { machine: root.live }) : null;
      let verdict: Awaited<ReturnType<typeof verifyAfterBoot>> = null;
      try {
        if (lock)
          verdict = await verifyAfterBoot({
            root,
            measureRoot: new Root('/'),
            dir,
            settleMs,
            rounds: VERIFY_ROUNDS,
            margin: verifyMargin(),
            say: (t) => (flags.json ? undefined : process.stderr.write(`${t}\n`)),
          });
      } finally {
        lock?.release();
      }
      const doc: VerifyDocument = { schemaVersion: VERIFY_SCHEMA_VERSION, kind: 'nvprobe.verify', armed: verdict !== null, verdict };
      if (flags.json) printJson(doc);
      else
        printText(
          verdict === null
            ? 'nothing to verify: no tune --persist armed a verification\n'
            : `${verdict.verdict}: ${verdict.reason}${verdict.rebooting ? '\nrebooting to return to the original state' : ''}\n`,
        );
      process.exitCode = verdict === null || verdict.verdict === 'kept' ? ExitCode.ok : ExitCode.verifyFailed;
      if (verdict?.rebooting) {
        const r = rebootNow();
        if (!r.ok) process.stderr.write(`nvprobe: ${r.argv.join(' ')} failed (${r.output}); reboot by hand to return to the original state\n`);
      }
    });
}

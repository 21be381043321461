import { Option, type Command } from 'commander';
import { availableParallelism } from 'node:os';
import { ExitCode, NvprobeError, usageError } from '../errors.js';
import { engineChoices, engineDescriptor, engineHelp, hipriEngines, noHipriHelp } from '../io/engines.js';
import { checkOutputPath, writeOutputFileAtomic } from '../host/output-file.js';
import { Root } from '../host/root.js';
import type { ProbeMeasureSettings } from '../measure/probe-pipeline.js';
import { fioJob } from '../report/fio-job.js';
import { renderProbeText } from '../report/probe-report.js';
import { renderPrometheus } from '../report/prometheus.js';
import { inlineStrings, jsonSafe, terminalSafe } from '../report/terminal-safe.js';
import { readTuneState, stateDirForMetrics } from '../report/tune-state.js';
import { archConstants } from '../native/arch.js';
import { isQuiet, printNote, printText } from './output.js';
import { isPowerOfTwo, parseCount, parseCpu, parseDuration, parseDurationOrZero, parseSize } from './parse-options.js';
import { startProgress } from './progress.js';
import { nvprobeVersion } from './version.js';
import type { EngineChoice } from '../contracts/probe-document.js';

export interface ProbeFlags {
  duration: string;
  ios?: string;
  ramp: string;
  bs: string;
  size?: string;
  cpu?: string;
  engine: EngineChoice;
  hipri: boolean;
  trace: boolean;
  json?: boolean;
  format?: ProbeFormat;
  output?: string;
  histogram?: boolean;
  verbose?: boolean;
  emitFio?: boolean;
  stateDir?: string;
}

export const PROBE_FORMATS = ['text', 'json', 'prometheus'] as const;
export type ProbeFormat = (typeof PROBE_FORMATS)[number];

export interface ProbeSettings extends ProbeMeasureSettings {
  format: ProbeFormat;
  /** Write the report to this file atomically instead of stdout. */
  output?: string;
}

export function registerProbe(program: Command): Command {
  return program
    .command('probe')
    .description("measure queue-depth-1 random read latency of a block device or file (default: the root filesystem's disk)")
    .argument('[target]', 'block device or regular file to read (opened read-only, O_DIRECT)')
    .option('--duration <time>', 'how long to measure reads, e.g. 5s, 500ms, 2m (the ramp comes before; where a vCPU has a POLL idle state, 0.5 s idle after, to price idle polling)', '5s')
    .option('--ios <n>', 'stop after this many measured I/Os (with --duration: whichever comes first)')
    .option('--ramp <time>', 'warm-up before measuring; its I/Os are dropped', '1s')
    .option('--bs <size>', 'block size: a power of two and a multiple of the logical block size', '4k')
    .option('--size <size>', 'span of the target the random offsets cover (default: all of it; scratch file size: 256M)')
    .option('--cpu <n>', 'pin the issuing thread to this CPU')
    .addOption(new Option('--engine <name>', engineHelp()).choices(engineChoices()).default('auto'))
    .option('--no-hipri', noHipriHelp())
    .option('--no-trace', "do not time reads on the kernel's clock (ftrace); report the FFI-calibrated figures only")
    .option('--json', 'print one JSON document (schemaVersion) and nothing else on stdout (same as --format json)')
    .addOption(new Option('--format <format>', 'text, json, or prometheus (node_exporter textfile-collector format)').choices(PROBE_FORMATS))
    .option('-o, --output <file>', 'write the report to FILE atomically (temp file + rename in its directory) instead of stdout, e.g. /var/lib/node_exporter/textfile_collector/nvprobe.prom')
    .option('--histogram', 'also print a latency histogram')
    .option('--verbose', "text: also how each clock measured, every latency row, the phase table and each vCPU's busy, polling and steal shares")
    .option(
      '--state-dir <dir>',
      'prometheus: where tune keeps its journal, runs and verdicts, whose state is added (default /var/lib/nvprobe, or NVPROBE_STATE_DIR; left out when the default is missing)',
    )
    .addOption(new Option('--emit-fio', 'print the equivalent fio job instead of measuring'))
    .action(async (target: string | undefined, flags: ProbeFlags, cmd: Command) => {
      const settings = parseProbeFlags(target, flags, cmd.getOptionValueSource('duration') === 'default');
      archConstants(); // refuse an unsupported architecture before loading the FFI layer
      // Ctrl-C and SIGTERM end every probe the same way (one line, 130/143), not only those with a
      // scratch file or a trace instance to clean up. Only here: in read-only commands a handler
      // would keep a signal from ending a read stuck in the kernel (libuv restarts the syscall).
      const { installSignalHandlers } = await import('../host/cleanup.js');
      installSignalHandlers();
      process.exitCode = await probe(settings, flags);
    });
}

/** Measure (or print the fio job) and render the report: text, JSON or Prometheus, to stdout or -o. */
async function probe(s: ProbeSettings, flags: ProbeFlags): Promise<number> {
  // Loaded only now: the pipeline loads the FFI layer, which archConstants() has vetted.
  const { measureProbe, probeJob } = await import('../measure/probe-pipeline.js');
  const root = new Root('/');
  if (flags.emitFio) {
    printText(fioJob(probeJob(root, s)));
    return ExitCode.ok;
  }
  // Prometheus carries the tuning state too: the state dir is checked before measuring (a named one
  // that does not exist is exit 2) and read after, so the state is as fresh as the latency.
  const stateDir = s.format === 'prometheus' ? stateDirForMetrics(flags.stateDir) : null;
  const progress = await startProgress(s.format === 'text' && s.output === undefined);
  try {
    const report = await measureProbe(root, s, { say: progress.update, tell: printNote, nvprobeVersion: nvprobeVersion() });
    progress.stop();
    const state = stateDir === null ? null : readTuneState(root, stateDir);
    // Escaped for a terminal either way: a file written with -o is read with cat too.
    const rendered =
      s.format === 'json'
        ? `${jsonSafe(JSON.stringify(report, null, 2))}\n`
        : terminalSafe(s.format === 'prometheus' ? renderPrometheus(report, state) : renderProbeText(inlineStrings(report), { histogram: !!flags.histogram, verbose: !!flags.verbose }));
    if (s.output !== undefined) writeOutputFileAtomic(s.output, rendered);
    else if (s.format !== 'text' || !isQuiet()) process.stdout.write(rendered); // --quiet: JSON and metrics asked for still print
    return ExitCode.ok;
  } finally {
    progress.stop();
  }
}

export function parseProbeFlags(target: string | undefined, flags: ProbeFlags, durationIsDefault: boolean): ProbeSettings {
  const blockSize = parseSize(flags.bs, '--bs');
  if (!isPowerOfTwo(blockSize)) throw new NvprobeError(`--bs must be a power of two (512, 4k, 64k...), not ${flags.bs}`, { exitCode: ExitCode.usage });
  const ios = flags.ios !== undefined ? parseCount(flags.ios, '--ios') : undefined;
  if (flags.engine !== 'auto' && !flags.hipri && !engineDescriptor(flags.engine).options.includes('hipri')) {
    const takers = hipriEngines().map((e) => e.name);
    throw usageError(`--no-hipri is a ${takers.join(' and ')} setting: the ${flags.engine} engine does not use RWF_HIPRI`, `drop --no-hipri, or use --engine ${takers.join(' or ')}`);
  }
  if (flags.json && flags.format !== undefined && flags.format !== 'json') {
    throw usageError(`--json contradicts --format ${flags.format}`, 'use one of them: --json is --format json');
  }
  const format: ProbeFormat = flags.format ?? (flags.json ? 'json' : 'text');
  if (flags.output !== undefined && flags.emitFio) throw usageError('-o/--output writes a probe report; --emit-fio prints a job file', "redirect --emit-fio's output instead");
  const output = flags.output !== undefined ? checkOutputPath(flags.output) : undefined;
  const durationMs = ios !== undefined && durationIsDefault ? undefined : parseDuration(flags.duration, '--duration');
  return {
    target,
    blockSize,
    durationMs,
    ios,
    rampMs: parseDurationOrZero(flags.ramp, '--ramp'),
    spanLimit: flags.size !== undefined ? parseSize(flags.size, '--size') : undefined,
    cpu: flags.cpu !== undefined ? parseCpu(flags.cpu, '--cpu', availableParallelism()) : null,
    engine: flags.engine,
    hipri: flags.hipri,
    trace: flags.trace,
    format,
    ...(output !== undefined ? { output } : {}),
  };
}

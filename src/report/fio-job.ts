import type { ProbeJob } from '../measure/probe-pipeline.js';

/** The fio job that measures what `nvprobe probe` measures, for side-by-side runs. */
export function fioJob(s: ProbeJob): string {
  const lines = [
    '# Equivalent of this nvprobe probe: QD1 4 KiB-class random O_DIRECT reads.',
    "# Compare fio's clat percentiles with nvprobe's corrected ones.",
    `# Run: fio${s.createFile ? '' : ' --readonly'} JOBFILE`,
    '[global]',
    `ioengine=${s.fio.ioengine}`,
    `${s.fio.pollOption}=${s.polled ? 1 : 0}`,
    'direct=1',
    'rw=randread',
    `bs=${s.blockSize}`,
    'iodepth=1',
    'numjobs=1',
    'norandommap=1',
    'randrepeat=0',
    `size=${s.spanBytes}`,
  ];
  if (s.durationMs !== undefined) lines.push('time_based=1', `runtime=${Math.max(1, Math.round(s.durationMs))}ms`);
  if (s.ios !== undefined) lines.push(`number_ios=${s.ios}`);
  if (s.rampMs > 0) lines.push(`ramp_time=${Math.round(s.rampMs)}ms`);
  if (s.cpu !== null) lines.push(`cpus_allowed=${s.cpu}`);
  lines.push(`filename=${s.filename.replace(/:/g, '\\:')}`, '', '[nvprobe-qd1]', '');
  return lines.join('\n');
}

import { createHash, randomBytes } from 'node:crypto';
import { bundleCollectors } from '../bundle/collectors.js';
import { runCollectors } from '../bundle/engine.js';
import { BUNDLE_LIMITS, BUNDLE_PATHS } from '../bundle/format.js';
import { redactMember } from '../bundle/member.js';
import { Redactor } from '../bundle/redactor.js';
import { CHECK_SCHEMA_VERSION, type CheckDocument } from '../contracts/check-document.js';
import { BUNDLE_SCHEMA_VERSION, REDACTION_MAP_SCHEMA_VERSION, type BundleManifest, type CollectResult } from '../contracts/collect-document.js';
import { splitInitArguments } from '../detect/cmdline.js';
import { INIT_ARGS_TOKEN } from '../detect/redact.js';
import { existsSync } from 'node:fs';
import { ExitCode, usageError } from '../errors.js';
import { checkCreatable } from '../host/safe-create.js';
import { writeArchive, writeNewFile } from '../host/bundle-archive.js';
import { isRoot } from '../host/file-info.js';
import { readMachineIdentity } from '../host/machine-identity.js';
import { Root } from '../host/root.js';
import { readRuns } from '../host/run-store.js';
import { checkedStateDir } from '../host/state-dir-check.js';
import { attachVerdicts, latestVerdicts } from '../tune/verdicts.js';
import { evaluateRules } from '../rules/evaluate.js';
import { countByStatus } from '../report/findings-text.js';
import type { CollectOptions } from './collect-command.js';
import { parseDuration } from './parse-options.js';
import { startProgress } from './progress.js';
import { loadRulesOrFail } from './rules-loading.js';
import { nvprobeVersion } from './version.js';
import { printErrorLine, printJson, printText } from './output.js';
import { inlineText } from '../report/terminal-safe.js';

/** A short probe needs no 1 GiB span (and no 1 GiB scratch file where the disk cannot be opened). */
const COLLECT_PROBE_SPAN = 256 << 20;

export async function collect(opts: CollectOptions): Promise<number> {
  const probeMs = parseDuration(opts.probeDuration, '--probe-duration');
  const state = checkedStateDir(opts.stateDir, 'collect');
  const rules = loadRulesOrFail();
  const identity = readMachineIdentity();
  const redactor = new Redactor(opts.redact);
  for (const h of identity.hostnames) redactor.addLiteral('hostname', h);
  for (const u of identity.users) redactor.addLiteral('user', u);
  // init's arguments after `--` are dropped from every member, as from tree/proc/cmdline; the
  // whole command line too, for arguments too short to match on their own.
  const cmdline = identity.cmdline === null ? null : splitInitArguments(identity.cmdline);
  if (cmdline?.init) {
    redactor.drop('init-args', cmdline.init, INIT_ARGS_TOKEN);
    redactor.drop('init-args', identity.cmdline!.trim(), `${cmdline.kernel.trim()} -- ${INIT_ARGS_TOKEN}`);
  }
  const hostToken = opts.redact
    ? createHash('sha256')
        .update(`nvprobe-bundle\0${identity.machineId ?? randomBytes(16).toString('hex')}\0${identity.hostnames[0] ?? ''}`)
        .digest('hex')
        .slice(0, 8)
    : (identity.hostnames.at(-1) ?? 'host').replace(/[^A-Za-z0-9.-]/g, '_');
  const now = new Date();
  const file =
    opts.output ??
    `nvprobe-${hostToken}-${now
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}.tar.gz`;
  // A bad -o is refused before collecting, not after (the same checks run again when writing).
  checkCreatable(file);
  if (!opts.force && existsSync(file)) throw usageError(`${file} already exists`, 'choose another name, or pass --force to replace it');
  const { measureProbe } = await import('../measure/probe-pipeline.js');

  const progress = await startProgress(!opts.json);
  const t0 = performance.now();
  let probeElapsed = 0;
  const collectors = bundleCollectors({
    probe: {
      skip: !opts.probe ? '--no-probe' : !isRoot() ? "probing the root filesystem's disk needs root" : null,
      durationMs: probeMs,
      run: async (signal, say) => {
        const p0 = performance.now();
        try {
          return await measureProbe(
            new Root('/'),
            { blockSize: 4096, durationMs: probeMs, rampMs: 500, cpu: null, engine: 'auto', hipri: true, spanLimit: COLLECT_PROBE_SPAN },
            { say, signal, nvprobeVersion: nvprobeVersion() },
          );
        } finally {
          probeElapsed = performance.now() - p0;
        }
      },
    },
    stateDir: state,
    rules: () => rules,
    version: () => ({ nvprobeVersion: nvprobeVersion(), node: process.version, platform: process.platform, arch: process.arch }),
    checkDocument: (snapshot, loaded): CheckDocument => {
      // This machine's tune verdicts, as `check` shows them (the runs themselves go in state/).
      const findings = attachVerdicts(evaluateRules(snapshot, loaded.rules), latestVerdicts(readRuns(state)));
      return {
        schemaVersion: CHECK_SCHEMA_VERSION,
        kind: 'nvprobe.check',
        nvprobeVersion: nvprobeVersion(),
        createdAt: new Date().toISOString(),
        root: null,
        rules: { count: loaded.rules.length, files: loaded.files },
        summary: countByStatus(findings),
        findings,
      };
    },
  });
  let result: Awaited<ReturnType<typeof runCollectors>>;
  try {
    result = await runCollectors(collectors, { redactor, say: progress.update, maxBundleBytes: BUNDLE_LIMITS.maxBundleBytes - 64_000 });
  } finally {
    progress.stop();
  }
  const total = performance.now() - t0;
  const manifest: BundleManifest = {
    schemaVersion: BUNDLE_SCHEMA_VERSION,
    kind: 'nvprobe.bundle',
    nvprobeVersion: nvprobeVersion(),
    createdAt: now.toISOString(),
    hostToken,
    redacted: opts.redact,
    collectMs: { withoutProbe: Math.round(total - probeElapsed), total: Math.round(total) },
    limits: { maxBundleBytes: BUNDLE_LIMITS.maxBundleBytes },
    collectors: result.records,
  };
  const entries = [
    { kind: 'file' as const, name: BUNDLE_PATHS.manifest, data: redactMember(redactor, BUNDLE_PATHS.manifest, `${JSON.stringify(manifest, null, 2)}\n`), mode: 0o600 },
    ...result.entries,
  ];
  const bytes = writeArchive(file, entries, !!opts.force);
  const map = redactor.map();
  let mapFile: string | null = null;
  if (opts.redact) {
    mapFile = `${file.replace(/\.tar\.gz$|\.tgz$/, '')}.redaction-map.json`;
    const doc = {
      kind: 'nvprobe.redaction-map',
      schemaVersion: REDACTION_MAP_SCHEMA_VERSION,
      bundle: file,
      note: "Keep this file: it turns the tokens in the bundle back into this machine's values. It is not part of the bundle.",
      entries: map,
    };
    writeNewFile(mapFile, `${JSON.stringify(doc, null, 2)}\n`, !!opts.force);
  }
  const out: CollectResult = {
    schemaVersion: BUNDLE_SCHEMA_VERSION,
    kind: 'nvprobe.collect',
    bundle: file,
    bytes,
    redactionMap: mapFile,
    redactions: map.length,
    collectMs: manifest.collectMs,
    collectors: result.records.map((r) => ({ name: r.name, status: r.status, reason: r.reason })),
  };
  if (opts.json) {
    printJson(out);
  } else {
    printText(`wrote ${inlineText(file)} (${(bytes / 1024).toFixed(1)} KiB, ${(manifest.collectMs.withoutProbe / 1000).toFixed(1)} s without the probe)\n`);
    for (const r of result.records)
      printText(
        `  ${r.name.padEnd(11)} ${r.status.padEnd(8)} ${r.files} files, ${r.bytes} bytes, ${r.ms} ms${r.reason ? `; ${inlineText(r.reason)}` : ''}${r.truncated.length ? `; truncated: ${inlineText(r.truncated.join(', '))}` : ''}\n`,
      );
    if (mapFile) printText(`redaction map (${map.length} values; keep it, do not send it): ${inlineText(mapFile)}\n`);
    else printText('not redacted (--no-redact): the bundle holds hostnames, addresses and serials as they are\n');
  }
  const failed = result.records.filter((r) => r.status === 'failed' || r.status === 'timeout');
  if (failed.length > 0 && !opts.json) printErrorLine(`nvprobe: ${failed.length} collector(s) did not finish: ${failed.map((r) => `${r.name} (${r.reason})`).join('; ')}`);
  return ExitCode.ok;
}

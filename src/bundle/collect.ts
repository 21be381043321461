import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import { CHECK_SCHEMA_VERSION, type CheckDocument } from '../contracts/check-document.js';
import { BUNDLE_SCHEMA_VERSION, REDACTION_MAP_SCHEMA_VERSION, type BundleManifest, type CollectResult } from '../contracts/collect-document.js';
import { usageError } from '../errors.js';
import { writeArchive, writeNewFile } from '../host/bundle-archive.js';
import { isRoot } from '../host/file-info.js';
import { readMachineIdentity } from '../host/machine-identity.js';
import { Root } from '../host/root.js';
import { readRuns } from '../host/run-store.js';
import { checkCreatable } from '../host/safe-create.js';
import { SCRATCH_BYTES } from '../host/scratch-file.js';
import { checkedStateDir } from '../host/state-dir-check.js';
import { ensureDir } from '../host/state-dir.js';
import { evaluateRules } from '../rules/evaluate.js';
import type { LoadedRules } from '../rules/load.js';
import { attachVerdicts, countByStatus, latestVerdicts } from '../tune/verdicts.js';
import { bundleHostToken, defaultBundleName, machineRedactor, machineToken } from './bundle-identity.js';
import { bundleCollectors } from './collectors.js';
import { runCollectors } from './engine.js';
import { BUNDLE_LIMITS, BUNDLE_PATHS } from './format.js';
import { redactMember } from './member.js';
import type { CollectorRecord } from '../contracts/collect-document.js';

/** A short probe needs no span larger than the scratch file any probe would write. */
const COLLECT_PROBE_SPAN = SCRATCH_BYTES;

export interface CollectSettings {
  /** The bundle to write; default: defaultBundleName() in the current directory. */
  output?: string;
  probe: boolean;
  probeMs: number;
  redact: boolean;
  stateDir?: string;
  /** A support case id: in the bundle's name and manifest (checked against CASE_ID by the caller). */
  caseId?: string;
  /** Replace an existing bundle (and map file). */
  force: boolean;
}

/** What the collection needs from the command that starts it. */
export interface CollectUi {
  nvprobeVersion: string;
  /** The rules (built-in and local); an invalid file stops the command before collecting. */
  loadRules(): LoadedRules;
  startProgress(): Promise<{ update(text: string): void; stop(): void }>;
}

export interface CollectOutcome {
  result: CollectResult;
  /** Each collector's full record (files, bytes, time, what was cut), as in the manifest. */
  records: CollectorRecord[];
}

/**
 * `nvprobe collect`: run the bundle's collectors (snapshot tree, detect, check, a short probe,
 * tune's state, kernel log), redact what names the machine, write the .tar.gz (mode 0600) and,
 * redacted, the map file beside it.
 */
export async function collectBundle(s: CollectSettings, ui: CollectUi): Promise<CollectOutcome> {
  const state = checkedStateDir(s.stateDir, 'collect');
  const rules = ui.loadRules();
  const identity = readMachineIdentity();
  const redactor = machineRedactor(identity, s.redact);
  const hostToken = bundleHostToken(identity, s.redact);
  const now = new Date();
  const file = s.output ?? defaultBundleName(hostToken, now, s.caseId);
  // A bad -o is refused before collecting, not after (the same checks run again when writing).
  checkCreatable(file);
  if (!s.force && existsSync(file)) throw usageError(`${file} already exists`, 'choose another name, or pass --force to replace it');
  const { measureProbe } = await import('../measure/probe-pipeline.js');

  const progress = await ui.startProgress();
  const t0 = performance.now();
  let probeElapsed = 0;
  const collectors = bundleCollectors({
    probe: {
      skip: !s.probe ? '--no-probe' : !isRoot() ? "probing the root filesystem's disk needs root" : null,
      durationMs: s.probeMs,
      run: async (signal, say) => {
        const p0 = performance.now();
        try {
          return await measureProbe(
            new Root('/'),
            { blockSize: 4096, durationMs: s.probeMs, rampMs: 500, cpu: null, engine: 'auto', hipri: true, spanLimit: COLLECT_PROBE_SPAN, scratchDir: state },
            { say, signal, nvprobeVersion: ui.nvprobeVersion },
          );
        } finally {
          probeElapsed = performance.now() - p0;
        }
      },
    },
    stateDir: state,
    rules: () => rules,
    version: () => ({ nvprobeVersion: ui.nvprobeVersion, node: process.version, platform: process.platform, arch: process.arch }),
    checkDocument: (snapshot, loaded): CheckDocument => {
      // This machine's tune verdicts, as `check` shows them (the runs themselves go in state/).
      const findings = attachVerdicts(evaluateRules(snapshot, loaded.rules), latestVerdicts(readRuns(state)));
      return {
        schemaVersion: CHECK_SCHEMA_VERSION,
        kind: 'nvprobe.check',
        nvprobeVersion: ui.nvprobeVersion,
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
    nvprobeVersion: ui.nvprobeVersion,
    createdAt: now.toISOString(),
    hostToken,
    machineToken: machineToken(identity),
    ...(s.caseId ? { caseId: s.caseId } : {}),
    redacted: s.redact,
    collectMs: { withoutProbe: Math.round(total - probeElapsed), total: Math.round(total) },
    limits: { maxBundleBytes: BUNDLE_LIMITS.maxBundleBytes },
    collectors: result.records,
  };
  const entries = [
    { kind: 'file' as const, name: BUNDLE_PATHS.manifest, data: redactMember(redactor, BUNDLE_PATHS.manifest, `${JSON.stringify(manifest, null, 2)}\n`), mode: 0o600 },
    ...result.entries,
  ];
  const bytes = writeArchive(file, entries, s.force);
  const map = redactor.map();
  let mapFile: string | null = null;
  if (s.redact) {
    mapFile = redactionMapPath(state, file);
    const doc = {
      kind: 'nvprobe.redaction-map',
      schemaVersion: REDACTION_MAP_SCHEMA_VERSION,
      bundle: file,
      note: "Keep this file: it turns the tokens in the bundle back into this machine's values. It is not part of the bundle.",
      entries: map,
    };
    writeNewFile(mapFile, `${JSON.stringify(doc, null, 2)}\n`, s.force);
  }
  return {
    result: {
      schemaVersion: BUNDLE_SCHEMA_VERSION,
      kind: 'nvprobe.collect',
      bundle: file,
      bytes,
      sha256: sha256File(file),
      ...(s.caseId ? { caseId: s.caseId } : {}),
      redactionMap: mapFile,
      redactions: map.length,
      collectMs: manifest.collectMs,
      collectors: result.records.map((r) => ({ name: r.name, status: r.status, reason: r.reason })),
    },
    records: result.records,
  };
}

/**
 * Where a bundle's redaction map goes: away from the bundle, so that sending `nvprobe-*` never
 * sends the map too (sos keeps its maps under /etc/sos/cleaner): <state dir>/redaction-maps/, or,
 * where that cannot be created (not root), a hidden file beside the bundle.
 */
function redactionMapPath(stateDir: string, bundle: string): string {
  const name = `${path.basename(bundle).replace(/\.tar\.gz$|\.tgz$/, '')}.redaction-map.json`;
  const dir = path.join(stateDir, 'redaction-maps');
  try {
    ensureDir(dir);
    fs.accessSync(dir, fs.constants.W_OK);
    return path.join(dir, name);
  } catch {
    return path.join(path.dirname(bundle), `.${name}`);
  }
}

/** The bundle's sha256, read back from disk: what the recipient's `sha256sum` must print. */
function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

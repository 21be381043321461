import { describe, expect, it } from 'vitest';
import type { ProbeReport } from '../../src/contracts/probe-document.js';
import { NvprobeError } from '../../src/errors.js';
import type { ReportSource } from '../../src/host/report-input.js';
import { buildCompareModel } from '../../src/report/compare-model.js';
import { buildReportModel, type ReportModel } from '../../src/report/report-model.js';
import { Histogram } from '../../src/stats/histogram.js';

// `report A B` computes B − A and the closing sentence from each side's figures. A document from
// elsewhere whose figures are not numbers in range (a string, null, a negative latency, a share
// above one vCPU) is bad input: refused with exit 2, never shown as "-" in the table while the
// sentence computes with the value coerced ("500" − 172 = 328 µs slower).

/** A probe document without tracing: the headline is the calibrated series, with CPU figures. */
function probeSide(name: string, p50: unknown, cpu: Record<string, unknown> = {}): ReportModel {
  const samples = Array.from({ length: 200 }, (_, i) => 50_000 + 100 * i);
  const probe = {
    schemaVersion: 1,
    kind: 'nvprobe.probe',
    kernel: { release: '6.1.0', arch: 'x64' },
    target: { disk: 'vda', kind: 'file' },
    engine: { name: 'psync2', blockSize: 4096, polled: { polled: false, reason: 'interrupt' } },
    kernelClock: null,
    result: {
      corrected: { count: 200, percentilesUs: { p50, p99: 69.7 } },
      correctedHistogram: new Histogram().addAll(samples).toJSON(),
      cpu: { busyShare: 0.5, maxStealShare: 0, stealPerReadUs: 0, perReadUs: { user: 10, system: 20 }, ...cpu },
    },
  } as unknown as ProbeReport;
  return { source: name, sourceKind: 'probe', manifest: null, snapshot: null, findings: null, run: null, probe };
}

function refusal(a: ReportModel, b: ReportModel): NvprobeError {
  try {
    buildCompareModel(a, b);
  } catch (err) {
    if (err instanceof NvprobeError) return err;
    throw err;
  }
  throw new Error('compared without complaint');
}

describe('report A B: figures out of range are bad input', () => {
  it('compares two well-formed sides', () => {
    const doc = buildCompareModel(probeSide('a.json', 60), probeSide('b.json', 80)).doc;
    expect(doc.verdict.deltaP50Us).toBe(20);
  });

  it.each([
    ['a number in a string', '500', /b\.json: the headline p50 \("500"\) is not a latency in µs/],
    ['null', null, /b\.json: the headline p50 \(null\) is not a latency in µs/],
    ['a negative latency', -500, /b\.json: the headline p50 \(-500\) is not a latency in µs/],
    ['a latency beyond any read', 1e300, /b\.json: the headline p50 \(1e\+300\) is not a latency in µs/],
  ])('a headline p50 that is %s', (_, p50, message) => {
    const err = refusal(probeSide('a.json', 60), probeSide('b.json', p50));
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(message);
  });

  it('a steal share that is a string, or more than a whole vCPU', () => {
    expect(refusal(probeSide('a.json', 60), probeSide('b.json', 80, { maxStealShare: '0.5' })).message).toMatch(/b\.json: the CPU figure maxStealShare \("0\.5"\) is not a share of a vCPU/);
    expect(refusal(probeSide('a.json', 60, { maxStealShare: 3 }), probeSide('b.json', 80)).message).toMatch(/a\.json: the CPU figure maxStealShare \(3\)/);
  });
});

describe('report A B: a bundle whose probe.json is of a newer schema', () => {
  const bundle = (probeVersion: number): ReportSource => {
    const file = (name: string, doc: unknown) => ({ kind: 'file' as const, name, data: Buffer.from(JSON.stringify(doc)) });
    const probe = probeSide('p.json', 60).probe!;
    return {
      kind: 'bundle',
      file: `v${probeVersion}.tar.gz`,
      digest: String(probeVersion),
      entries: [file('manifest.json', { schemaVersion: 1, kind: 'nvprobe.bundle', collectors: [] }), file('probe.json', { ...probe, schemaVersion: probeVersion })],
    };
  };

  it('is refused as detect.json and check.json of a newer schema are, not read as if this version wrote it', () => {
    expect(buildReportModel(bundle(1)).probe?.schemaVersion).toBe(1);
    expect(() => buildReportModel(bundle(99))).toThrow(/v99\.tar\.gz: probe\.json has schema version 99, newer than this nvprobe reads/);
  });
});

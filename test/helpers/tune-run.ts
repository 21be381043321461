import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './cli.js';
import { attachLoop, loopRules, queueAttrs, restoreQueueAttrs } from './loop-target.js';

/**
 * A real saved tune run: nvprobe tune on a loop device this helper attaches, with test rules
 * that move two queue attributes, then revert. Leaves <dir>/state/runs/<run>.json (real
 * before/after histograms) and the journal; the loop device is detached again.
 */
export async function savedTuneRun(dir: string): Promise<{ stateDir: string; runFile: string; run: Record<string, any> }> {
  const loop = attachLoop(dir);
  const original = queueAttrs(loop.name);
  try {
    mkdirSync(join(dir, 'rules'), { recursive: true });
    chmodSync(dir, 0o755);
    const actions = [
      { attr: 'nomerges', value: 2 },
      { attr: 'rq_affinity', value: 2 },
    ];
    writeFileSync(join(dir, 'rules', 'loop.yaml'), loopRules(loop.name, actions));
    const stateDir = join(dir, 'state');
    const only = actions.map((a, i) => `test-loop-${i}-${a.attr.replace(/_/g, '-')}`).join(',');
    const r = await runCli(['tune', loop.dev, '--yes', '--json', '--rules', join(dir, 'rules'), '--state-dir', stateDir, '--only', only, '--round', '150ms', '--max-blocks', '8', '--budget', '60s']);
    if (r.code !== 0) throw new Error(`tune failed (${r.code}): ${r.stderr}`);
    const doc = JSON.parse(r.stdout) as { savedTo: string };
    const rv = await runCli(['revert', '--state-dir', stateDir]);
    if (rv.code !== 0) throw new Error(`revert failed: ${rv.stderr}`);
    return { stateDir, runFile: doc.savedTo, run: JSON.parse(readFileSync(doc.savedTo, 'utf8')) };
  } finally {
    restoreQueueAttrs(loop.name, original);
    loop.detach();
  }
}

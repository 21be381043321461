import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeOffsetFile } from './files.js';

export const LOOP_ATTRS = ['scheduler', 'nomerges', 'rq_affinity', 'iostats', 'rotational', 'add_random'] as const;

/** A read-only direct-I/O loop device over a fresh data file: a real block queue tests may retune. */
export function attachLoop(dir: string, blocks = 16384): { dev: string; name: string; detach(): void } {
  const file = join(dir, `loop-${Date.now()}.dat`);
  writeOffsetFile(file, blocks);
  const dev = execFileSync('losetup', ['--direct-io=on', '-f', '--show', '-r', file], { encoding: 'utf8' }).trim();
  return { dev, name: basename(dev), detach: () => execFileSync('losetup', ['-d', dev]) };
}

export function queueAttrs(name: string): Record<string, string> {
  return Object.fromEntries(LOOP_ATTRS.map((a) => [a, readFileSync(`/sys/block/${name}/queue/${a}`, 'utf8').trim()]));
}

/** Put queue attributes back by hand (used in finally, whatever nvprobe did or did not do). */
export function restoreQueueAttrs(name: string, saved: Record<string, string>): void {
  for (const [a, v] of Object.entries(saved)) {
    const value = /\[([^\]]+)\]/.exec(v)?.[1] ?? v;
    try {
      writeFileSync(`/sys/block/${name}/queue/${a}`, value);
    } catch {
      // the device may be gone already
    }
  }
}

/** Rules that retune exactly this loop device, away from the kernel's defaults. */
export function loopRules(name: string, actions: Array<{ attr: string; value: string | number }>): string {
  return `rules:\n${actions
    .map(
      (a, i) => `  - id: test-loop-${i}-${a.attr.replace(/_/g, '-')}
    title: "test: ${a.attr} of ${name}"
    scope: disk
    severity: low
    applies: { field: disk.name, equals: ${name} }
    check: { field: disk.transport, equals: loop }
    rationale: a test rule that changes a queue attribute of a loop device the test attached itself.
    references: [test]
    prerequisite: true
    actions:
      - { kind: queue-attr, attr: ${a.attr}, value: ${JSON.stringify(a.value)} }
`,
    )
    .join('')}`;
}

/** The two changes the journal-fault tests make: a scheduler and nomerges, both away from the defaults. */
const TWO_CHANGES = [
  { attr: 'scheduler', value: 'mq-deadline' },
  { attr: 'nomerges', value: 2 },
];

/**
 * A loop device with test rules for two of its queue attributes, in `dir` (made 0755: nvprobe as
 * root reads the rules there): what the crash and full-disk tests tune. `tuneArgs` run those two
 * changes with short rounds; `cleanUp` restores the attributes and detaches.
 */
export function retunableLoop(dir: string): {
  loop: ReturnType<typeof attachLoop>;
  original: Record<string, string>;
  tuneArgs: (stateDir: string) => string[];
  cleanUp(): void;
} {
  chmodSync(dir, 0o755);
  const loop = attachLoop(dir);
  const original = queueAttrs(loop.name);
  const rules = join(dir, 'rules');
  mkdirSync(rules);
  writeFileSync(join(rules, 'loop.yaml'), loopRules(loop.name, TWO_CHANGES));
  const only = TWO_CHANGES.map((a, i) => `test-loop-${i}-${a.attr}`).join(',');
  return {
    loop,
    original,
    tuneArgs: (stateDir) => ['tune', loop.dev, '--yes', '--rules', rules, '--state-dir', stateDir, '--only', only, '--round', '60ms', '--max-blocks', '8'],
    cleanUp() {
      restoreQueueAttrs(loop.name, original);
      loop.detach();
    },
  };
}

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
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

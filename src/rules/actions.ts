import { interpolate, placeholders } from './field-path.js';
import type { ConditionProblem, FieldCheck } from './condition.js';
import { LOADABLE_MODULES, QUEUE_ATTRS, RUNTIME_MODULE_PARAMS } from '../host/write-allowlist.js';
import type { ActionKind, ActionSpec, ResolvedAction } from '../contracts/actions.js';
import type { RuleScope } from '../contracts/rule-types.js';

/**
 * The only things a rule may change, by kind. A rule naming anything else is refused at load:
 * rules are data that root runs, so the allowlist is the safety boundary (host/ enforces the
 * same lists on every write).
 */
/** Parameters read at module load / probe time: persisted in modprobe.d or on the kernel command line. */
export const LOAD_TIME_MODULE_PARAMS: Record<string, readonly string[]> = {
  virtio_blk: ['poll_queues', 'num_request_queues'],
  nvme: ['poll_queues'],
  cpuidle_haltpoll: ['force'],
  haltpoll: RUNTIME_MODULE_PARAMS.haltpoll!,
};

export const CMDLINE_PARAMS = ['cpuidle_haltpoll.force', 'cpuidle.governor', 'haltpoll.guest_halt_poll_ns', 'virtio_blk.poll_queues', 'virtio_blk.num_request_queues', 'nvme.poll_queues'] as const;

const KEYS: Record<ActionKind, string[]> = {
  'queue-attr': ['kind', 'attr', 'value', 'grid'],
  'module-param': ['kind', 'module', 'param', 'value', 'grid'],
  'pm-qos': ['kind', 'value', 'grid'],
  'kernel-cmdline': ['kind', 'param', 'value'],
  'modprobe-option': ['kind', 'module', 'param', 'value'],
  'module-load': ['kind', 'module', 'param', 'value'],
};

export function parseAction(raw: unknown, at: string, scope: RuleScope, fieldExists: FieldCheck, problems: ConditionProblem[]): ActionSpec | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({ at, message: 'must be a mapping with a kind' });
    return null;
  }
  const a = raw as Record<string, unknown>;
  const kind = a.kind as ActionKind;
  if (!(kind in KEYS)) {
    problems.push({ at: `${at}.kind`, message: `'${String(a.kind)}' is not an allowed action kind (${Object.keys(KEYS).join(', ')})` });
    return null;
  }
  const before = problems.length;
  for (const k of Object.keys(a)) if (!KEYS[kind].includes(k)) problems.push({ at: `${at}.${k}`, message: `unknown key for a ${kind} action` });
  const value = a.value;
  if (typeof value !== 'string' && typeof value !== 'number') problems.push({ at: `${at}.value`, message: 'must be a string or number' });
  if (typeof value === 'string') {
    for (const p of placeholders(value)) if (!fieldExists(p)) problems.push({ at: `${at}.value`, message: `placeholder {${p}} names no Snapshot field` });
  }
  if (a.grid !== undefined && (!Array.isArray(a.grid) || a.grid.length < 2 || !a.grid.every((g) => typeof g === 'number' || typeof g === 'string'))) {
    problems.push({ at: `${at}.grid`, message: 'must be a list of at least two values to try' });
  }
  switch (kind) {
    case 'queue-attr':
      if (scope !== 'disk') problems.push({ at, message: 'a queue-attr action needs a rule with scope: disk' });
      if (!(QUEUE_ATTRS as readonly string[]).includes(String(a.attr))) {
        problems.push({ at: `${at}.attr`, message: `'${String(a.attr)}' is not an allowed queue attribute (${QUEUE_ATTRS.join(', ')})` });
      }
      break;
    case 'module-param':
      if (!RUNTIME_MODULE_PARAMS[String(a.module)]?.includes(String(a.param))) {
        problems.push({ at, message: `${String(a.module)}.${String(a.param)} is not an allowed runtime module parameter` });
      }
      break;
    case 'modprobe-option':
      if (!LOAD_TIME_MODULE_PARAMS[String(a.module)]?.includes(String(a.param))) {
        problems.push({ at, message: `${String(a.module)}.${String(a.param)} is not an allowed module option` });
      }
      break;
    case 'module-load':
      if (!LOADABLE_MODULES[String(a.module)]?.includes(String(a.param))) {
        problems.push({
          at,
          message: `${String(a.module)} ${String(a.param)}= is not an allowed module to load (${Object.entries(LOADABLE_MODULES)
            .map(([m, ps]) => `${m} ${ps.join('/')}`)
            .join(', ')})`,
        });
      }
      break;
    case 'kernel-cmdline':
      if (!(CMDLINE_PARAMS as readonly string[]).includes(String(a.param))) {
        problems.push({ at: `${at}.param`, message: `'${String(a.param)}' is not an allowed kernel command-line parameter (${CMDLINE_PARAMS.join(', ')})` });
      }
      break;
    case 'pm-qos':
      if (typeof value !== 'number' || value < 0 || value > 2_000_000) problems.push({ at: `${at}.value`, message: 'must be a resume latency in µs, 0..2000000' });
      break;
  }
  return problems.length === before ? (a as unknown as ActionSpec) : null;
}

/** Fill in this machine's specifics: which disk, interpolated values, runtime or reboot. */
export function resolveAction(spec: ActionSpec, scope: { disk?: { name: string } }): ResolvedAction {
  const value = typeof spec.value === 'string' ? interpolate(spec.value, scope) : spec.value;
  const grid = 'grid' in spec ? spec.grid : undefined;
  switch (spec.kind) {
    case 'queue-attr': {
      const disk = scope.disk!.name;
      return { kind: spec.kind, target: `${disk}:queue/${spec.attr}`, disk, attr: spec.attr, value, grid, runtime: true, reboot: false };
    }
    case 'module-param':
      return { kind: spec.kind, target: `${spec.module}.${spec.param}`, module: spec.module, param: spec.param, value, grid, runtime: true, reboot: false };
    case 'pm-qos':
      return { kind: spec.kind, target: 'cpu*/power/pm_qos_resume_latency_us', value, grid, runtime: true, reboot: false };
    case 'kernel-cmdline':
      return { kind: spec.kind, target: `cmdline:${spec.param}`, param: spec.param, value, runtime: false, reboot: true };
    case 'module-load':
      return { kind: spec.kind, target: `load:${spec.module} ${spec.param}=${value}`, module: spec.module, param: spec.param, value, runtime: true, reboot: false };
    case 'modprobe-option':
      return { kind: spec.kind, target: `modprobe:${spec.module}.${spec.param}`, module: spec.module, param: spec.param, value, runtime: false, reboot: true };
  }
}

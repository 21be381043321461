import type { KnobKind } from '../../src/knobs/kind.js';
import { sameValue, type RuntimeKnob } from '../../src/knobs/knob.js';

/**
 * A knob kind defined outside src/, in this one file, to show what adding a kind takes: a
 * per-disk runtime kind that sets the rule's disk's read-ahead. Its path is inside the host write
 * allowlist (queue/read_ahead_kb), so host/ performs its writes like any other.
 */
export const THROWAWAY_KIND = 'test-read-ahead';

const path = (disk: string | undefined) => `/sys/block/${disk}/queue/read_ahead_kb`;

const readAheadKnob: RuntimeKnob = {
  paths: (_root, a) => [path(a.disk)],
  read: (root, a) => [root.attr(path(a.disk))?.trim() ?? null],
  writes: (_root, a, value = a.value) => [{ op: 'attr', path: path(a.disk), value: String(value) }],
  verify(root, a, value = a.value) {
    return this.read(root, a).every((v) => sameValue(v, value));
  },
};

export const throwawayKnobKind: KnobKind = {
  name: THROWAWAY_KIND,
  keys: ['kind', 'value'],
  scope: 'disk',
  takesEffect: 'runtime',
  check(a, at) {
    const v = a.value;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 4096) return [];
    return [{ at: `${at}.value`, message: 'must be a read-ahead in KiB, 0..4096' }];
  },
  resolve: (_spec, _value, disk) => ({ target: `${disk}:read-ahead`, disk }),
  knob: readAheadKnob,
  route: () => ({ route: 'none', why: 'a test kind: never written on disk' }),
};

import type { Root } from '../../host/root.js';
import { entryOptions, grubEnv } from './boot-entries.js';
import { describeValue, lastValue, token } from './cmdline-tokens.js';
import type { CommandWrite } from '../write.js';
import type { CmdlineChange } from './cmdline-change.js';

/** grubby's entries directory and the GRUB environment block (fixed paths in grubby-bls). */
const GRUBBY_ENTRIES = '/boot/loader/entries';
const GRUBENV = '/boot/grub2/grubenv';

/**
 * grubby edits every boot entry (and, on RHEL 8, `kernelopts` in the GRUB environment block)
 * itself: one command per parameter, `--args=k=v` (grubby drops any other value of k first), with
 * the files it may touch, which the journal records so that revert restores them byte for byte.
 */
export function grubbyCommands(root: Root, grubby: string, op: 'set' | 'remove', params: Array<{ param: string; value: string }>): { changes: CmdlineChange[]; notes: string[] } {
  const files = root
    .list(GRUBBY_ENTRIES)
    .filter((n) => n.endsWith('.conf'))
    .map((n) => `${GRUBBY_ENTRIES}/${n}`);
  const env = grubEnv(root, GRUBENV);
  const entries = files.map((f) => ({ file: f, text: root.text(f) ?? '' }));
  const touches = [...files, ...(root.exists(GRUBENV) ? [GRUBENV] : [])];
  const changes: CmdlineChange[] = [];
  const notes: string[] = [];
  for (const p of params) {
    const tok = token(p.param, p.value);
    const before = entries.map((e) => ({ ...e, value: lastValue(entryOptions(e.text, env), p.param) }));
    if (op === 'remove') {
      if (entries.length > 0 && !before.some((e) => e.value === p.value)) continue;
      const write: CommandWrite = { op: 'command', argv: [grubby, '--update-kernel=ALL', `--remove-args=${tok}`], touches };
      changes.push({ write, description: `remove ${tok} from every boot entry with grubby`, tokens: [tok] });
      continue;
    }
    if (entries.length > 0 && before.every((e) => e.value === p.value)) {
      notes.push(`every boot entry already has ${tok}: nothing to add`);
      continue;
    }
    if (entries.length === 0) notes.push(`no boot entry readable in ${GRUBBY_ENTRIES}: revert removes ${p.param} from every entry`);
    const others = before.filter((e) => e.value !== undefined && e.value !== p.value);
    if (others.length > 0) {
      notes.push(
        `grubby replaces ${others
          .map((e) => describeValue(p.param, e.value!))
          .filter((v, i, a) => a.indexOf(v) === i)
          .join(', ')} in ${others.length} boot entr${others.length === 1 ? 'y' : 'ies'} (revert puts it back)`,
      );
    }
    const write: CommandWrite = { op: 'command', argv: [grubby, '--update-kernel=ALL', `--args=${tok}`], touches };
    changes.push({ write, description: `add ${tok} to every boot entry with grubby`, tokens: [tok] });
  }
  return { changes, notes };
}

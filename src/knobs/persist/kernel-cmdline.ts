import type { Root } from '../../host/root.js';
import type { FileWrite } from '../write.js';
import { addEntryToken, entryOptions, findBootEntries, grubEnv, removeEntryToken } from './boot-entries.js';
import { appendToken, describeValue, lastValue, removeToken, token } from './cmdline-tokens.js';
import type { CmdlineChange } from './cmdline-change.js';
import { grubbyCommands } from './grubby.js';
import { GRUB_DEFAULTS, GRUB_DROPIN, GRUB_DROPIN_DIR, blockTokens, dropinContent, grubCmdline, nvprobeTokens, withBlock, withoutBlock } from './grub-defaults.js';
import { checkParam, checkValue } from './safe-text.js';
import { findTool } from './tools.js';

/**
 * Kernel command-line parameters made permanent through whatever this system boots with.
 * The primary mechanism, first found in this order:
 *  - `grubby` (Fedora, RHEL and derivatives): a command, it owns the boot entries;
 *  - Boot Loader Specification entries without grubby: each entry's `options`;
 *  - `/etc/kernel/cmdline` alone (systemd-boot / UKI through kernel-install);
 *  - `/etc/default/grub` (Debian, Ubuntu, SUSE): nvprobe's block, or its drop-in in grub.d;
 *  - none: an exact instruction for the user.
 * With grubby or entries, the files that build entries for kernels installed later are edited
 * too: /etc/kernel/cmdline when it exists, and /etc/default/grub when it says
 * GRUB_ENABLE_BLSCFG=true (grub2-mkconfig can rebuild the entries' options from it).
 */
export const KERNEL_CMDLINE_FILE = '/etc/kernel/cmdline';
const GRUBENV = '/boot/grub2/grubenv';

export type CmdlineMechanismKind = 'grubby' | 'boot-entries' | 'kernel-install' | 'grub' | 'manual';

export interface CmdlineMechanism {
  kind: CmdlineMechanismKind;
  grubby: string | null;
  entries: { dir: string; files: string[] } | null;
  /** /etc/kernel/cmdline exists. */
  kernelCmdline: boolean;
  /** How nvprobe would write GRUB's defaults, when /etc/default/grub exists. */
  grubDefaults: 'block' | 'dropin' | null;
  /** GRUB's defaults are edited as well (BLS systems whose grub2-mkconfig rebuilds the entries). */
  grubDefaultsSecondary: boolean;
}

/** A parameter to set. `replaces`: a value nvprobe itself persisted earlier, replaced instead of appended after. */
export interface KernelParamChange {
  param: string;
  value: string | number;
  replaces?: string | number;
}

export interface CmdlinePlan {
  mechanism: CmdlineMechanismKind;
  changes: CmdlineChange[];
  /** Things the user should know: values already present, values nvprobe's later occurrence overrides, caveats. */
  notes: string[];
  /** When nothing can be automated: the exact instruction. */
  manual: string | null;
}

export function detectCmdlineMechanism(root: Root): CmdlineMechanism {
  const grubby = findTool(root, 'grubby');
  const entries = findBootEntries(root);
  const kernelCmdline = root.exists(KERNEL_CMDLINE_FILE) && !root.isDir(KERNEL_CMDLINE_FILE);
  const grubText = root.text(GRUB_DEFAULTS);
  const grubDefaults = grubText === null ? null : root.isDir(GRUB_DROPIN_DIR) ? 'dropin' : 'block';
  const kind: CmdlineMechanismKind = grubby ? 'grubby' : entries ? 'boot-entries' : kernelCmdline ? 'kernel-install' : grubDefaults ? 'grub' : 'manual';
  const bls = grubText !== null && /^\s*GRUB_ENABLE_BLSCFG=["']?true["']?\s*$/m.test(grubText);
  return { kind, grubby, entries, kernelCmdline, grubDefaults, grubDefaultsSecondary: bls && (kind === 'grubby' || kind === 'boot-entries') };
}

type Mode = { op: 'set'; params: Array<{ param: string; value: string; replaces?: string }> } | { op: 'remove'; params: Array<{ param: string; value: string }> };

interface SinkResult {
  changes: CmdlineChange[];
  notes: string[];
}

/** Make these parameters part of every future boot. Nothing to change gives no changes (idempotent). */
export function planKernelParams(root: Root, params: KernelParamChange[]): CmdlinePlan {
  const checked = params.map((p) => ({
    param: checkParam(p.param),
    value: checkValue(p.param, p.value),
    ...(p.replaces === undefined ? {} : { replaces: checkValue(p.param, p.replaces) }),
  }));
  return plan(root, { op: 'set', params: checked });
}

function plan(root: Root, mode: Mode): CmdlinePlan {
  const mech = detectCmdlineMechanism(root);
  const parts: SinkResult[] = [];
  if (mode.params.length === 0) return { mechanism: mech.kind, changes: [], notes: [], manual: null };
  switch (mech.kind) {
    case 'grubby':
      parts.push(grubbyCommands(root, mech.grubby!, mode.op, mode.params));
      break;
    case 'boot-entries':
      parts.push(entriesSink(root, mech.entries!.files, mode));
      break;
    case 'kernel-install':
      parts.push(textSink(root, KERNEL_CMDLINE_FILE, mode, 'primary', kernelInstallCommand(root)));
      break;
    case 'grub':
      parts.push(grubSink(root, mech.grubDefaults!, mode, 'primary', grubRegenerate(root)));
      break;
    case 'manual': {
      const words = mode.params.map((p) => token(p.param, p.value)).join(' ');
      const manual =
        mode.op === 'set'
          ? `add \`${words}\` to the kernel command line in your boot loader configuration (or the VM's kernel arguments when the hypervisor boots the kernel directly); it takes effect at the next boot`
          : `remove \`${words}\` from the kernel command line in your boot loader configuration (or the VM's kernel arguments); it takes effect at the next boot`;
      return { mechanism: 'manual', changes: [], notes: ['no grubby, boot loader entries, /etc/kernel/cmdline or /etc/default/grub found: nvprobe cannot make this permanent itself'], manual };
    }
  }
  if (mech.kind === 'grubby' || mech.kind === 'boot-entries') {
    if (mech.kernelCmdline) parts.push(textSink(root, KERNEL_CMDLINE_FILE, mode, 'secondary', null));
    if (mech.grubDefaultsSecondary) parts.push(grubSink(root, mech.grubDefaults!, mode, 'secondary', null));
  }
  return { mechanism: mech.kind, changes: parts.flatMap((p) => p.changes), notes: parts.flatMap((p) => p.notes), manual: null };
}

/** Edits of a text holding a command line; `view` gives the command line the kernel would see from it. */
interface TextEditor {
  view(text: string): string;
  add(text: string, tok: string): string;
  remove(text: string, tok: string): string | null;
}

const PLAIN: TextEditor = { view: (t) => t, add: appendToken, remove: removeToken };

interface TextEdit {
  text: string;
  notes: string[];
  /** Tokens added (set) or taken out (remove, or nvprobe's own earlier value on set). */
  added: string[];
  dropped: string[];
}

/** Apply mode to one text; notes name `where`. */
function editText(text: string, mode: Mode, ed: TextEditor, where: string): TextEdit {
  const r: TextEdit = { text, notes: [], added: [], dropped: [] };
  for (const p of mode.params) {
    const tok = token(p.param, p.value);
    if (mode.op === 'remove') {
      const next = ed.remove(r.text, tok);
      if (next !== null) {
        r.text = next;
        r.dropped.push(tok);
      }
      continue;
    }
    const replaces = 'replaces' in p ? p.replaces : undefined;
    if (replaces !== undefined && replaces !== p.value) {
      const old = token(p.param, replaces);
      const next = ed.remove(r.text, old);
      if (next !== null) {
        r.text = next;
        r.dropped.push(old);
      }
    }
    const have = lastValue(ed.view(r.text), p.param);
    if (have === p.value) {
      r.notes.push(`${where} already has ${tok}: nothing to add`);
      continue;
    }
    if (have !== undefined) r.notes.push(`${where} sets ${describeValue(p.param, have)}; nvprobe's ${tok} comes later on the command line, and the last one wins`);
    r.text = ed.add(r.text, tok);
    r.added.push(tok);
  }
  return r;
}

/** "add a=1 b=2", "remove a=0", or both. */
function what(e: { added: string[]; dropped: string[] }): string {
  return [e.added.length > 0 ? `add ${e.added.join(' ')}` : '', e.dropped.length > 0 ? `remove ${e.dropped.join(' ')}` : ''].filter(Boolean).join(', ');
}

function changedTokens(e: { added: string[]; dropped: string[] }, mode: Mode): string[] {
  return mode.op === 'set' ? e.added : e.dropped;
}

/** Primary: the mechanism this system boots with. Secondary: what builds boot entries for kernels installed later. */
type Role = 'primary' | 'secondary';

function textSink(root: Root, path: string, mode: Mode, role: Role, regenerate: string[] | null): SinkResult {
  const current = root.text(path);
  if (current === null) return { changes: [], notes: [] };
  const r = editText(current, mode, PLAIN, path);
  if (r.text === current) return { changes: [], notes: r.notes };
  const notes = [...r.notes];
  let why = '';
  if (regenerate !== null) why = `; ${regenerate.join(' ')} rebuilds the running kernel's boot entry from it`;
  else if (role === 'secondary') why = ' (kernel-install builds the boot entries of kernels installed later from it)';
  else
    notes.push(
      `${path} is read when a boot entry or unified kernel image is generated, and kernel-install or the running kernel's image was not found: run \`kernel-install add $(uname -r) <image>\` (or your UKI build) for it to take effect`,
    );
  const write: FileWrite = { op: 'file', path, content: r.text, ...(regenerate ? { regenerate } : {}) };
  return { changes: [{ write, description: `${what(r)} in ${path}${why}`, tokens: changedTokens(r, mode) }], notes };
}

function entriesSink(root: Root, files: string[], mode: Mode): SinkResult {
  const env = grubEnv(root, GRUBENV);
  const ed: TextEditor = { view: (t) => entryOptions(t, env), add: addEntryToken, remove: removeEntryToken };
  const changes: CmdlineChange[] = [];
  const notes: string[] = [];
  for (const file of files) {
    const current = root.text(file);
    if (current === null) continue;
    const r = editText(current, mode, ed, file);
    notes.push(...r.notes);
    if (r.text === current) continue;
    changes.push({
      write: { op: 'file', path: file, content: r.text },
      description: `${what(r)} in the options of boot entry ${file} (read by the boot loader at the next boot)`,
      tokens: changedTokens(r, mode),
    });
  }
  return { changes, notes };
}

function grubSink(root: Root, style: 'block' | 'dropin', mode: Mode, role: Role, regenerate: string[] | null): SinkResult {
  const path = style === 'dropin' ? GRUB_DROPIN : GRUB_DEFAULTS;
  const current = root.text(path);
  const defaults = root.text(GRUB_DEFAULTS);
  if (style === 'block' && current === null) return { changes: [], notes: [] };
  const ours = current === null ? [] : style === 'dropin' ? nvprobeTokens(current) : blockTokens(current);
  // The user's configuration alone: what the command line is without anything of nvprobe's.
  const userOnly = grubCmdline(root, style === 'dropin' ? { [GRUB_DROPIN]: null } : defaults === null ? {} : { [GRUB_DEFAULTS]: withoutBlock(defaults) });
  const notes: string[] = [];
  let tokens = [...ours];
  const touched: string[] = [];
  for (const p of mode.params) {
    const tok = token(p.param, p.value);
    if (mode.op === 'remove') {
      if (tokens.includes(tok)) touched.push(tok);
      tokens = tokens.filter((t) => t !== tok);
      continue;
    }
    const mineAt = tokens.findIndex((t) => lastValue(t, p.param) !== undefined);
    const user = userOnly.uncertain ? undefined : lastValue(userOnly.cmdline, p.param);
    if (mineAt < 0 && user === p.value) {
      notes.push(`GRUB's defaults already give ${tok}: nothing to add`);
      continue;
    }
    if (user !== undefined && user !== p.value) notes.push(`GRUB's defaults set ${describeValue(p.param, user)}; nvprobe's ${tok} comes later on the command line, and the last one wins`);
    if (mineAt >= 0) {
      if (tokens[mineAt] !== tok) touched.push(tok);
      tokens[mineAt] = tok;
    } else {
      tokens.push(tok);
      touched.push(tok);
    }
  }
  const content = style === 'dropin' ? dropinContent(tokens) : withBlock(current ?? '', tokens);
  if (content === current) return { changes: [], notes };

  if (mode.op === 'set') {
    const after = grubCmdline(root, { [path]: content });
    for (const p of mode.params) {
      if (!after.uncertain && lastValue(after.cmdline, p.param) !== p.value) {
        notes.push(
          `${after.resetBy ?? 'a later GRUB defaults file'} assigns GRUB_CMDLINE_LINUX_DEFAULT without keeping its earlier value: ${token(p.param, p.value)} will not reach the kernel until that file appends instead`,
        );
      }
    }
    const cmdline = root.text('/proc/cmdline');
    if (role === 'primary' && cmdline !== null && !/(^|\s)BOOT_IMAGE=/.test(cmdline)) {
      notes.push('the running kernel was not started by GRUB (no BOOT_IMAGE= in /proc/cmdline): check that this system really boots through GRUB');
    }
  }
  const where = style === 'dropin' ? `nvprobe's ${GRUB_DROPIN}` : `nvprobe's block at the end of ${GRUB_DEFAULTS}`;
  let then = '';
  if (regenerate !== null) then = `; ${regenerate.join(' ')} regenerates the GRUB menu`;
  else if (role === 'secondary') then = ' (grub2-mkconfig may rebuild the boot entries from it)';
  else notes.push('no update-grub or grub-mkconfig found: regenerate the GRUB configuration yourself for this to take effect');
  const write: FileWrite = { op: 'file', path, content, ...(content === null ? {} : { mode: 0o644 }), ...(regenerate ? { regenerate } : {}) };
  return { changes: [{ write, description: `${mode.op === 'set' ? 'add' : 'remove'} ${touched.join(' ')} (GRUB_CMDLINE_LINUX_DEFAULT) in ${where}${then}`, tokens: touched }], notes };
}

/** update-grub, else grub2-mkconfig / grub-mkconfig onto the grub.cfg that exists. */
export function grubRegenerate(root: Root): string[] | null {
  const updateGrub = findTool(root, 'update-grub');
  if (updateGrub !== null) return [updateGrub];
  const cfg = ['/boot/grub2/grub.cfg', '/boot/grub/grub.cfg'].find((p) => root.exists(p));
  for (const name of ['grub2-mkconfig', 'grub-mkconfig']) {
    const tool = findTool(root, name);
    if (tool === null) continue;
    return [tool, '-o', cfg ?? (name === 'grub2-mkconfig' ? '/boot/grub2/grub.cfg' : '/boot/grub/grub.cfg')];
  }
  return null;
}

/** `kernel-install add <release> <image>` for the running kernel, when both are found. */
export function kernelInstallCommand(root: Root): string[] | null {
  const tool = findTool(root, 'kernel-install');
  const release = root.attr('/proc/sys/kernel/osrelease');
  if (tool === null || release === null || release.includes('/')) return null;
  const image = [`/usr/lib/modules/${release}/vmlinuz`, `/lib/modules/${release}/vmlinuz`, `/boot/vmlinuz-${release}`].find((p) => root.exists(p));
  return image === undefined ? null : [tool, 'add', release, image];
}

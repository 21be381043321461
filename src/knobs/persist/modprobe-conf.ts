import { parseCmdline } from '../../detect/cmdline.js';
import type { Root } from '../../host/root.js';
import type { FileWrite } from '../write.js';
import { moduleName } from './module-build.js';
import { byteOrder, checkName, checkValue } from './safe-text.js';
import { initramfsCommand } from './tools.js';
import { splitCmdline } from '../../detect/cmdline.js';

/** nvprobe's own modprobe configuration: created, rewritten and deleted by nvprobe only. */
export const MODPROBE_CONF = '/etc/modprobe.d/nvprobe.conf';

const HEADER = ['# Managed by nvprobe: `nvprobe revert` removes this file.', '# Module options kept by `nvprobe tune`; edits made here are overwritten by the next tune.'];

export interface ModuleOption {
  module: string;
  param: string;
  value: string;
}

// Where kmod looks, highest priority first: a file name found in an earlier directory hides the
// same name in later ones; the files are then read in byte order of their names (libkmod-config.c).
const MODPROBE_DIRS = ['/etc/modprobe.d', '/run/modprobe.d', '/usr/local/lib/modprobe.d', '/usr/lib/modprobe.d', '/lib/modprobe.d'];

/** `options <module> <p>=<v>...` lines of nvprobe.conf, in file order (other lines ignored). */
export function parseModprobeConf(text: string): ModuleOption[] {
  const out: ModuleOption[] = [];
  for (const o of optionLines(text)) for (const [param, value] of o.params) out.push({ module: o.module, param, value });
  return out;
}

/** The whole nvprobe.conf for these options (one `options` line per module), or null when there are none. */
export function renderModprobeConf(options: ModuleOption[]): string | null {
  if (options.length === 0) return null;
  const byModule = new Map<string, Map<string, string>>();
  for (const o of options) {
    const params = byModule.get(o.module) ?? new Map<string, string>();
    params.set(o.param, o.value);
    byModule.set(o.module, params);
  }
  const lines = [...byModule.keys()].sort(byteOrder).map((m) => {
    const params = byModule.get(m)!;
    return `options ${m} ${[...params.keys()]
      .sort(byteOrder)
      .map((p) => `${p}=${params.get(p)}`)
      .join(' ')}`;
  });
  return `${[...HEADER, ...lines].join('\n')}\n`;
}

/**
 * Add or change options in nvprobe.conf. An option another configuration file already gives the
 * same effective value is not added. Returns [] when the file would not change.
 */
export function setModprobeOptions(root: Root, options: ModuleOption[]): FileWrite[] {
  const current = root.text(MODPROBE_CONF);
  const entries = current === null ? [] : parseModprobeConf(current);
  for (const raw of options) {
    const o = normalise(raw);
    const i = entries.findIndex((e) => e.module === o.module && e.param === o.param);
    if (i >= 0) entries[i] = o;
    else if (effectiveModprobeValue(root, o.module, o.param, { withoutNvprobe: true }) !== o.value) entries.push(o);
  }
  return fileWrite(root, current, renderModprobeConf(entries));
}

function fileWrite(root: Root, current: string | null, content: string | null): FileWrite[] {
  if (content === current) return [];
  const regenerate = initramfsCommand(root);
  return [{ op: 'file', path: MODPROBE_CONF, content, ...(content === null ? {} : { mode: 0o644 }), ...(regenerate ? { regenerate } : {}) }];
}

function normalise(o: ModuleOption): ModuleOption {
  return { module: moduleName(checkName('module', o.module)), param: checkName('module parameter', o.param), value: checkValue(`${o.module}.${o.param}`, o.value) };
}

/** One place that sets module.param for modprobe: a configuration file, or the kernel command line. */
export interface ModprobeSetting {
  source: string;
  value: string;
}

/**
 * Every setting of module.param modprobe would pass when loading the module, in the order it
 * passes them (configuration files by name, then the kernel command line, which libkmod reads
 * last): the module keeps the last one.
 */
export function modprobeSettings(root: Root, module: string, param: string, opts: { withoutNvprobe?: boolean } = {}): ModprobeSetting[] {
  const m = moduleName(module);
  const out: ModprobeSetting[] = [];
  for (const file of modprobeFiles(root)) {
    if (opts.withoutNvprobe && file === MODPROBE_CONF) continue;
    const text = root.text(file);
    if (text === null) continue;
    for (const o of optionLines(text)) {
      if (o.module !== m) continue;
      for (const [p, v] of o.params) if (p === param) out.push({ source: file, value: v });
    }
  }
  const cmdline = root.text('/proc/cmdline');
  if (cmdline !== null) {
    const v = parseCmdline(cmdline).params[`${m}.${param}`];
    if (v !== undefined) out.push({ source: 'the kernel command line (/proc/cmdline)', value: v === true ? '' : v });
  }
  return out;
}

/** The value modprobe would give module.param, or undefined when nothing sets it. */
export function effectiveModprobeValue(root: Root, module: string, param: string, opts: { withoutNvprobe?: boolean } = {}): string | undefined {
  return modprobeSettings(root, module, param, opts).at(-1)?.value;
}

/**
 * What the user should know about an option nvprobe persists: another file (or the kernel command
 * line) read after nvprobe.conf that sets another value wins; one that already sets it makes
 * nvprobe's entry unnecessary.
 */
export function modprobeNotes(root: Root, option: ModuleOption): string[] {
  const o = normalise(option);
  const others = modprobeSettings(root, o.module, o.param, { withoutNvprobe: true });
  const name = MODPROBE_CONF.slice(MODPROBE_CONF.lastIndexOf('/') + 1);
  const later = others.filter((s) => !s.source.startsWith('/') || byteOrder(s.source.slice(s.source.lastIndexOf('/') + 1), name) > 0).at(-1);
  if (later !== undefined && later.value !== o.value) {
    return [`${later.source} sets ${o.module} ${o.param}=${later.value} and is read after ${MODPROBE_CONF}: its value wins`];
  }
  const mine = parseModprobeConf(root.text(MODPROBE_CONF) ?? '').some((e) => e.module === o.module && e.param === o.param);
  const last = others.at(-1);
  if (!mine && last !== undefined && last.value === o.value) return [`${last.source} already gives ${o.module} ${o.param}=${o.value}: nothing to add`];
  return [];
}

/** Configuration files in the order kmod reads them. */
export function modprobeFiles(root: Root): string[] {
  const byName = new Map<string, string>();
  for (const dir of MODPROBE_DIRS) {
    for (const name of root.list(dir)) {
      if (!name.endsWith('.conf') || name.startsWith('.') || byName.has(name)) continue;
      byName.set(name, `${dir}/${name}`);
    }
  }
  return [...byName.keys()].sort(byteOrder).map((n) => byName.get(n)!);
}

interface OptionLine {
  module: string;
  params: Array<[string, string]>;
}

/** `options` lines of a modprobe.d file: `#` comments, `\` line continuations, quoted values. */
function optionLines(text: string): OptionLine[] {
  const out: OptionLine[] = [];
  for (const line of text.replace(/\\\n/g, ' ').split('\n')) {
    const words = splitWords(line);
    if (words[0] !== 'options' || words.length < 2) continue;
    const params: Array<[string, string]> = [];
    for (const w of words.slice(2)) {
      const eq = w.indexOf('=');
      params.push(eq < 0 ? [w, ''] : [w.slice(0, eq), w.slice(eq + 1)]);
    }
    out.push({ module: moduleName(words[1]!), params });
  }
  return out;
}

/** modprobe.d lines split like kernel parameters: whitespace separates, double quotes group. */
function splitWords(line: string): string[] {
  return /^\s*#/.test(line) ? [] : splitCmdline(line);
}

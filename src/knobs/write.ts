/**
 * The kinds of change nvprobe makes to a system: an attribute, a whole file, or a distribution
 * tool's command (grubby) whose touched files are journaled. Knobs turn an action into these;
 * tune journals each one (with the value it replaces) before host/ performs it, and revert
 * performs the inverse. Paths are guest paths, resolved through a Root.
 */
export type Write = AttrWrite | FileWrite | CommandWrite | ModuleWrite;

/**
 * Run a program (argv, no shell) that changes persistent state nvprobe does not write as a file
 * itself: `grubby` edits every boot entry and the GRUB environment block in its own way.
 *
 * The journal records `touches` (their content, or absence) before running `argv`; revert puts
 * that content back byte for byte.
 */
export interface CommandWrite {
  op: 'command';
  argv: string[];
  /** Guest paths argv may change: journal them before running it. */
  touches: string[];
}

/** What persistence produces: whole-file writes, and commands where a distribution tool owns the files. */
export type PersistWrite = FileWrite | CommandWrite;

/** Write one value to a sysfs/procfs attribute (queue attribute, module parameter, PM QoS). */
export interface AttrWrite {
  op: 'attr';
  path: string;
  value: string;
}

/** Replace a whole file atomically (temp + fsync + rename), or delete it (content null). */
export interface FileWrite {
  op: 'file';
  path: string;
  content: string | null;
  mode?: number;
  /** A command to run after the file changes, e.g. regenerating the bootloader configuration. */
  regenerate?: string[];
}

/**
 * Load a kernel module with parameters (`modprobe <module> k=v`), or unload it. Only on the live
 * system (a captured tree has no kernel to load into). Its inverse unloads what it loaded
 * (`modprobe -r`) and puts the cpuidle governor back as it was.
 */
export interface ModuleWrite {
  op: 'module';
  module: string;
  load: boolean;
  params: string[];
}

/** What a write replaced, recorded in the journal before the write happens. */
export type Previous =
  | { op: 'attr'; value: string | null }
  | { op: 'file'; content: string | null; mode: number | null; owner?: { uid: number; gid: number } | null }
  /** A command: every file it may touch, as it was (null: absent). */
  | { op: 'command'; files: Record<string, { content: string | null; mode: number | null; owner?: { uid: number; gid: number } | null }> }
  /** A module load: whether it was loaded, and the cpuidle governor (loading a cpuidle driver may switch it). */
  | { op: 'module'; loaded: boolean | null; governor: string | null };

/** A short name for what a write changes, for messages and status. */
export function writeSubject(w: Write): string {
  if (w.op === 'command') return w.argv.join(' ');
  if (w.op === 'module') return moduleArgv(w).join(' ');
  return w.path;
}

/** The modprobe command a module write runs. */
/** A module name and `name=value` parameters as modprobe takes them: never an option (`-C file`). */
const MODULE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;
const MODULE_PARAM = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}=[A-Za-z0-9_.,:-]{0,128}$/;

export function moduleArgv(w: ModuleWrite): string[] {
  // The journal is read back by revert as root: what it names must still be a module, not an argument.
  if (!MODULE_NAME.test(w.module) || !w.params.every((p) => MODULE_PARAM.test(p))) throw new Error(`refusing modprobe arguments ${JSON.stringify([w.module, ...w.params])}`);
  return w.load ? ['modprobe', w.module, ...w.params] : ['modprobe', '-r', w.module];
}

/**
 * The only two kinds of change nvprobe makes to a system. Knobs turn an action into these;
 * tune journals each one (with the value it replaces) before host/ performs it, and revert
 * performs the inverse. Paths are guest paths, resolved through a Root.
 */
export type Write = AttrWrite | FileWrite;

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

/** What a write replaced, recorded in the journal before the write happens. */
export type Previous = { op: 'attr'; value: string | null } | { op: 'file'; content: string | null; mode: number | null };

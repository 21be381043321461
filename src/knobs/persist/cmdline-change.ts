import type { PersistWrite } from '../write.js';

/** One edit of the kernel command line's persistent home, as a write the journal records. */
export interface CmdlineChange {
  write: PersistWrite;
  description: string;
  /** The `k=v` tokens this change adds (or, on removal, takes out): what the journal should remember. */
  tokens: string[];
}

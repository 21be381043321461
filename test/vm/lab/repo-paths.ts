import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root, found from this file's place in it (test/vm/lab/). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Downloaded Debian packages and their extracted trees; git-ignored, reused across runs. */
export const labCacheDir = join(repoRoot, 'test', 'vm', '.cache');

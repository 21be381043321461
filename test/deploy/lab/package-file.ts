import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../vm/lab/repo-paths.js';
import { runTool } from '../../vm/lab/run-tool.js';

const OUT = join(repoRoot, 'packaging', 'out');

/** Build the .deb from this checkout (packaging/deb/build.sh, a few seconds): never test a stale one. */
export async function buildNvprobeDeb(): Promise<string> {
  await runTool(join(repoRoot, 'packaging', 'deb', 'build.sh'), [], { cwd: repoRoot, timeout: 600_000 });
  return nvprobeDeb();
}

/** packaging/out/nvprobe_<version>_amd64.deb, as global-setup.ts built it. */
export async function nvprobeDeb(): Promise<string> {
  const deb = existsSync(OUT) ? readdirSync(OUT).find((f) => /^nvprobe_.*_amd64\.deb$/.test(f)) : undefined;
  if (!deb) throw new Error('no nvprobe_*_amd64.deb in packaging/out: test/deploy/global-setup.ts builds it');
  return join(OUT, deb);
}

import { runTool } from './run-tool.js';

/**
 * Every shared object the dynamic loader maps for these ELF files (the loader itself included),
 * as `ldd` reports them on this host. Copied to the same paths in the guest, they let host-built
 * binaries (node, the ffi-rs addon) run there.
 */
export async function sharedLibraries(elfFiles: string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const file of elfFiles) {
    for (const line of (await runTool('ldd', [file])).split('\n')) {
      if (/not found/.test(line)) throw new Error(`ldd ${file}: ${line.trim()}`);
      // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
      const m = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
      if (m) found.add(m[1]!);
    }
  }
  return [...found].sort();
}

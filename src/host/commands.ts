import { execFileSync } from 'node:child_process';

/** Run a program without a shell (bootloader or initramfs regeneration); its output is returned. */
export function runCommand(argv: string[], timeoutMs = 300_000): { ok: boolean; output: string } {
  try {
    const out = execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: true, output: out };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { ok: false, output: (e.stderr ?? e.message).trim().split('\n').slice(-3).join(' ') };
  }
}

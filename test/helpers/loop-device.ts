import { execFileSync } from 'node:child_process';

/** Attach FILE as a read-only direct-I/O loop device for the duration of fn; always detached. */
export async function withLoopDevice<T>(file: string, fn: (dev: string) => Promise<T> | T, opts: { sectorSize?: number; readOnly?: boolean } = {}): Promise<T> {
  const args = ['--direct-io=on', '-f', '--show'];
  if (opts.readOnly ?? true) args.push('-r');
  if (opts.sectorSize) args.push('--sector-size', String(opts.sectorSize));
  const dev = execFileSync('losetup', [...args, file], { encoding: 'utf8' }).trim();
  try {
    return await fn(dev);
  } finally {
    execFileSync('losetup', ['-d', dev]);
  }
}

import type { Guest } from './guest.js';
import { shellQuote } from './shell-quote.js';

/** Put `content` at `guestPath` (parents created). Travels base64 in the command itself. */
export async function writeGuestFile(guest: Guest, guestPath: string, content: string | Buffer, mode = '0644'): Promise<void> {
  const b64 = Buffer.from(content)
    .toString('base64')
    .replace(/.{1,76}/g, '$&\n');
  const q = shellQuote(guestPath);
  const r = await guest.run(`mkdir -p "$(dirname ${q})" && base64 -d > ${q} <<'NVP_EOF'\n${b64}NVP_EOF\nchmod ${mode} ${q}`);
  if (r.exitCode !== 0) throw new Error(`writing ${guestPath} in the guest failed (${r.exitCode}): ${r.stderr.trim()}`);
}

export interface CaptureOptions {
  /** How deep to descend below each given directory (find -maxdepth). Default 3. */
  maxDepth?: number;
  /** Local directory to unpack into; a new temp dir when omitted. */
  localDir?: string;
}

/**
 * Copy a subset of the guest's /sys and /proc (or any paths) to the host, laid out under their
 * absolute paths (`<local>/sys/block/vda/queue/io_poll`), the shape `--root DIR` reads.
 * Pseudo files are read with cat (their stat size lies, so tar cannot take them directly);
 * unreadable ones (write-only attributes) are left out; symlinks stay symlinks and are not
 * followed, except a given path itself (so /sys/block/vda is captured as a directory).
 * Returns the local directory.
 */
export async function captureGuestTree(guest: Guest, paths: string[], opts: CaptureOptions = {}): Promise<string> {
  const stage = '/tmp/nvp-capture';
  const script = `
stage=${stage}
rm -rf "$stage" && mkdir -p "$stage"
capture_one() { # file-system entry, its absolute path as given
  t="$stage$(echo "$2" | sed 's://*:/:g; s:/$::')"
  if [ -L "$1" ]; then mkdir -p "$(dirname "$t")" && ln -s "$(readlink "$1")" "$t"
  elif [ -d "$1" ]; then mkdir -p "$t"
  elif [ -f "$1" ]; then mkdir -p "$(dirname "$t")"; timeout 5 cat "$1" > "$t" 2>/dev/null || rm -f "$t"
  fi
}
for p in ${paths.map(shellQuote).join(' ')}; do
  if [ -d "$p" ]; then
    # "$p/" makes find start inside a symlinked directory; entries below are not followed.
    find "$p/" -mindepth 1 -maxdepth ${opts.maxDepth ?? 3} | while read -r f; do capture_one "$f" "$f"; done
    mkdir -p "$stage$p"
  elif [ -e "$p" ]; then capture_one "$p" "$p"
  else echo "nvp-capture: no $p" >&2; fi
done
`;
  const r = await guest.run(script);
  if (r.exitCode !== 0) throw new Error(`capturing ${paths.join(' ')} in the guest failed (${r.exitCode}): ${r.stderr.trim()}`);
  try {
    return await guest.fetchDir(stage, opts.localDir);
  } finally {
    await guest.run(`rm -rf ${stage}`);
  }
}

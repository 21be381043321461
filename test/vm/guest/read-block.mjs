// Runs inside the lab guest, from nvprobe's install dir: one 4 KiB O_DIRECT read through
// nvprobe's own psync2 engine (node + ffi-rs + libc), printed as JSON for the host to check.
// Usage: node read-block.mjs <device> <byte offset>
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [path, offset] = process.argv.slice(2);
const { Psync2Engine } = await import(pathToFileURL(join(process.cwd(), 'dist/io/psync2.js')).href);
const engine = new Psync2Engine({ path, blockSize: 4096, hipri: false });
try {
  engine.read(Number(offset));
  const data = Buffer.from(engine.data);
  const tagEnd = data.indexOf(10);
  console.log(
    JSON.stringify({
      tag: data.toString('latin1', 0, tagEnd < 0 ? 64 : tagEnd + 1),
      sha256: createHash('sha256').update(data).digest('hex'),
    }),
  );
} finally {
  engine.close();
}

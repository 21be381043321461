import { debianImage } from './lab/debian-image.js';
import { buildNvprobeDeb } from './lab/package-file.js';

/** Once per run, before any file boots a guest: the .deb of this checkout, and the Debian image (cached). */
export default async function setup(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('npm run test:deploy builds a Debian image (mmdebstrap, mkfs.ext4 -d): run it as root');
  const started = Date.now();
  const deb = await buildNvprobeDeb();
  const image = await debianImage();
  console.log(`deploy lab: ${deb} built, Debian image ${image.key} ready, in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

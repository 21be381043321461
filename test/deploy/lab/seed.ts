import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { basename, join } from 'node:path';
import { runTool } from '../../vm/lab/run-tool.js';
import { writeNewFile } from './debian-guest.js';

/** A NoCloud seed as cloud-init documents it: an ISO 9660 volume labelled cidata with user-data and meta-data. */
export async function noCloudSeed(dir: string, userData: string, instanceId: string): Promise<string> {
  writeNewFile(join(dir, 'user-data'), userData);
  writeNewFile(join(dir, 'meta-data'), `instance-id: ${instanceId}\nlocal-hostname: ${instanceId}\n`);
  const iso = join(dir, 'seed.iso');
  await runTool('genisoimage', ['-quiet', '-output', iso, '-volid', 'cidata', '-joliet', '-rock', join(dir, 'user-data'), join(dir, 'meta-data')]);
  return iso;
}

/** Serves one file at /<its name> on 127.0.0.1 (where a user publishes the .deb); counts the downloads. */
export class OneFileServer {
  downloads = 0;
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(file: string): Promise<OneFileServer> {
    let self: OneFileServer | undefined;
    const server = createServer((req, res) => {
      if (req.url !== `/${basename(file)}`) {
        res.writeHead(404).end();
        return;
      }
      if (self) self.downloads++;
      res.writeHead(200, { 'content-type': 'application/vnd.debian.binary-package', 'content-length': statSync(file).size });
      createReadStream(file).pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new OneFileServer(server, (server.address() as { port: number }).port);
    return self;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

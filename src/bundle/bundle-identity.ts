import { createHash, randomBytes } from 'node:crypto';
import { splitInitArguments } from '../detect/cmdline.js';
import { INIT_ARGS_TOKEN } from '../detect/redact.js';
import type { MachineIdentity } from '../host/machine-identity.js';
import { Redactor } from './redactor.js';

/** The redactor for this machine's bundle: its host and user names, and init's arguments. */
export function machineRedactor(identity: MachineIdentity, redact: boolean): Redactor {
  const redactor = new Redactor(redact);
  for (const h of identity.hostnames) redactor.addLiteral('hostname', h);
  for (const u of identity.users) redactor.addLiteral('user', u);
  // init's arguments after `--` are dropped from every member, as from tree/proc/cmdline; the
  // whole command line too, for arguments too short to match on their own.
  const cmdline = identity.cmdline === null ? null : splitInitArguments(identity.cmdline);
  if (cmdline?.init) {
    redactor.drop('init-args', cmdline.init, INIT_ARGS_TOKEN);
    redactor.drop('init-args', identity.cmdline!.trim(), `${cmdline.kernel.trim()} -- ${INIT_ARGS_TOKEN}`);
  }
  return redactor;
}

/**
 * What recognises the machine across its bundles without naming it: a keyed hash of the machine
 * id and the host name (the same machine, the same token; neither readable from it; a clone that
 * kept the machine id under a new name counts as another machine). Null without a machine id:
 * nothing stable then ties two bundles to one machine.
 */
export function machineToken(identity: MachineIdentity): string | null {
  return identity.machineId === null ? null : identityHash(identity.machineId, identity);
}

/**
 * What names the machine in the bundle's file name and manifest: redacted, its machine token (a
 * random one without a machine id); else the host name itself, made safe for a file name.
 */
export function bundleHostToken(identity: MachineIdentity, redact: boolean): string {
  return redact ? (machineToken(identity) ?? identityHash(randomBytes(16).toString('hex'), identity)) : (identity.hostnames.at(-1) ?? 'host').replace(/[^A-Za-z0-9.-]/g, '_');
}

function identityHash(id: string, identity: MachineIdentity): string {
  return createHash('sha256')
    .update(`nvprobe-bundle\0${id}\0${identity.hostnames[0] ?? ''}`)
    .digest('hex')
    .slice(0, 8);
}

/** A support case id as it may appear in a file name: letters, digits, `.`, `_`, `-`. */
export const CASE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** nvprobe-[<case id>-]<host-token>-<UTC date and time>-<random>.tar.gz, in the current directory. */
export function defaultBundleName(hostToken: string, now: Date, caseId?: string): string {
  return `nvprobe-${caseId ? `${caseId}-` : ''}${hostToken}-${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}.tar.gz`;
}

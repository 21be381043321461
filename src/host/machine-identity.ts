import * as fs from 'node:fs';
import * as os from 'node:os';

/** What identifies this machine or its people in free text: the values redaction replaces. */
export interface MachineIdentity {
  /** Host and domain names (short and fully qualified), longest first. */
  hostnames: string[];
  /** Login names of people (uid ≥ 1000 in /etc/passwd, the invoking user, SUDO_USER); not root or system accounts. */
  users: string[];
  /** /etc/machine-id, or null. Never written anywhere: only a keyed hash of it names the bundle. */
  machineId: string | null;
  /** /proc/cmdline as read (init's arguments after `--` are dropped from bundles), or null. */
  cmdline: string | null;
}

export function readMachineIdentity(): MachineIdentity {
  const names = new Set<string>();
  const add = (v: string | null | undefined) => {
    const t = v?.trim();
    if (t && t !== '(none)' && t !== 'localhost' && t !== 'localhost.localdomain') names.add(t);
  };
  add(os.hostname());
  add(readText('/proc/sys/kernel/hostname'));
  const domain = readText('/proc/sys/kernel/domainname')?.trim();
  for (const h of [...names]) {
    add(h.split('.')[0]);
    if (domain && domain !== '(none)') {
      add(domain);
      if (!h.includes('.')) add(`${h}.${domain}`);
    }
  }
  const users = new Set<string>();
  for (const line of (readText('/etc/passwd') ?? '').split('\n')) {
    const [name, , uid] = line.split(':');
    const n = Number(uid);
    if (name && Number.isInteger(n) && n >= 1000 && n < 65534) users.add(name);
  }
  for (const u of [process.env.SUDO_USER, safeUser()]) if (u && u !== 'root' && u !== 'nobody') users.add(u);
  return {
    hostnames: [...names].sort((a, b) => b.length - a.length),
    users: [...users].sort((a, b) => b.length - a.length),
    machineId: readText('/etc/machine-id')?.trim() || null,
    cmdline: readText('/proc/cmdline'),
  };
}

function safeUser(): string | null {
  try {
    return os.userInfo().username;
  } catch {
    return null;
  }
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

import { basename } from 'node:path';
import type { DebianGuest } from './debian-guest.js';

/** Install the .deb in the guest, offline, as README says. */
export async function installNvprobe(guest: DebianGuest, deb: string): Promise<void> {
  await guest.copyTo(deb, `/root/${basename(deb)}`);
  await guest.run(`DEBIAN_FRONTEND=noninteractive apt-get install -y /root/${basename(deb)} > /dev/null`);
}

/** The places nvprobe persists to (boot loader, module options, udev rules) as `sha256  path` lines, sorted. */
export async function persistedFileHashes(guest: DebianGuest): Promise<string> {
  return guest.run('find /etc/default /etc/kernel /etc/modprobe.d /etc/udev/rules.d /boot/grub/grub.cfg /boot/loader -xdev -type f 2>/dev/null | sort | xargs -r sha256sum');
}

/** `nvprobe status --json` once the boot's units are done (verify runs before multi-user.target). */
export async function statusAfterBoot(guest: DebianGuest): Promise<Record<string, unknown>> {
  await guest.waitBootFinished();
  const r = await guest.ssh('nvprobe status --json');
  if (![0, 6, 7, 8].includes(r.code ?? -1)) throw new Error(`nvprobe status --json exited with ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/**
 * The lab's guests are emulated (TCG: every instruction ~30× slower than on a real vCPU), and
 * nvprobe-watch.service's bounds are set for real ones (a run takes ~0.6 CPU-seconds there and
 * ~25 here): a drop-in widens its CPU and wall-time caps, nothing else, so that systemd runs the
 * shipped unit otherwise as it is.
 */
export async function allowEmulatedWatch(guest: DebianGuest): Promise<void> {
  await guest.run(
    'mkdir -p /etc/systemd/system/nvprobe-watch.service.d && printf "[Service]\\nLimitCPU=600\\nTimeoutStartSec=600\\n" > /etc/systemd/system/nvprobe-watch.service.d/lab-emulated-cpu.conf && systemctl daemon-reload',
  );
}

/** What systemd logged that one run of the unit consumed ("Consumed 23.5s CPU time, 67.9M memory peak, 47.8M read from disk, ..."), the last such line. */
export async function consumedLine(guest: DebianGuest, unit: string): Promise<string> {
  const lines = (await guest.run(`journalctl -u ${unit} -o cat --no-pager | grep -F ': Consumed ' || true`)).trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

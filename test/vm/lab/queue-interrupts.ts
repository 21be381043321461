import type { Guest } from './guest.js';

async function guestOutput(guest: Guest, script: string): Promise<string> {
  const r = await guest.run(script);
  if (r.exitCode !== 0) throw new Error(`${script} failed (${r.exitCode}): ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * Interrupts so far on a disk's I/O queue vectors, from /proc/interrupts and sysfs alone (not
 * through detect): virtio-blk's "<virtioN>-req.K", nvme's "<nvmeX>qK" without the admin queue q0.
 */
export async function queueInterrupts(guest: Guest, disk: string): Promise<{ names: string[]; total: number }> {
  const owner = (await guestOutput(guest, `basename "$(readlink /sys/block/${disk}/device)"`)).trim();
  const ours = disk.startsWith('nvme') ? new RegExp(`^${owner}q[1-9]\\d*$`) : new RegExp(`^${owner}-req\\.\\d+$`);
  const lines = (await guestOutput(guest, 'cat /proc/interrupts')).split('\n');
  const cpus = lines[0]!.trim().split(/\s+/).length;
  const names: string[] = [];
  let total = 0;
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (!/^\d+:$/.test(fields[0]!) || !ours.test(fields[fields.length - 1]!)) continue;
    names.push(fields[fields.length - 1]!);
    total += fields.slice(1, 1 + cpus).reduce((sum, n) => sum + Number(n), 0);
  }
  return { names, total };
}

import { bootGuest, type Guest } from './guest.js';

// One guest per poll-queue setting for the whole `npm run test:vm` run: booting under TCG costs
// seconds, and most tests only read. The VM vitest config runs the files one after another in one
// process without isolation, so this module, and the guests it booted, outlive each file; qemu is
// killed when that process ends (live-processes.ts), so nothing here shuts them down.
// A test on a shared guest must leave it as it found it. One that ends its guest on purpose
// (a command timeout) boots its own with bootGuest().
const guests = new Map<number, Promise<Guest>>();

/** The run's guest booted with `pollQueues` (and every other boot option at its default). */
export async function sharedGuest(pollQueues: 0 | 1): Promise<Guest> {
  const booted = await guests.get(pollQueues)?.catch(() => undefined);
  if (booted?.running) return booted;
  // None yet, or the last one failed or died (a test timed out in it): boot afresh.
  const booting = bootGuest({ pollQueues });
  guests.set(pollQueues, booting);
  return booting;
}

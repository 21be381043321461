/** Progress for people: an ora spinner on a terminal, nothing otherwise (and never with --json). */
export interface Progress {
  update(text: string): void;
  stop(): void;
}

export async function startProgress(wanted: boolean): Promise<Progress> {
  const { isQuiet } = await import('./output.js');
  if (isQuiet()) return { update() {}, stop() {} };
  // A pty without a size (columns 0) makes ora's line arithmetic loop: no spinner there.
  if (!wanted || !process.stderr.isTTY || !(process.stderr.columns > 0)) return { update() {}, stop() {} };
  const { default: ora } = await import('ora');
  const spinner = ora({ stream: process.stderr, text: 'starting' }).start();
  let last = 0;
  return {
    update(text) {
      const now = Date.now();
      if (now - last < 100) return; // the terminal need not see every slice
      last = now;
      spinner.text = text;
    },
    stop() {
      if (spinner.isSpinning) spinner.stop();
    },
  };
}

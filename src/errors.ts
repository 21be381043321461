// Exit codes are a contract with users' scripts (documented in --help and README).
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  needsRoot: 3,
  partial: 4,
  /** `check --strict`: there are recommendations or host advice. */
  findings: 5,
  /** `status`: a setting nvprobe applied no longer has the value it wrote. */
  drifted: 6,
  /** `tune --persist` / `status`: changes were written that take effect only after a reboot. */
  rebootRequired: 7,
  /** `verify`: the changes of the last `tune --persist` did not take effect or did not help (reverted). */
  verifyFailed: 8,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error meant for the user: one line of what went wrong, one line of what to do. */
export class NvprobeError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly hint?: string;
  constructor(message: string, opts: { exitCode?: ExitCodeValue; hint?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'NvprobeError';
    this.exitCode = opts.exitCode ?? ExitCode.failure;
    this.hint = opts.hint;
  }
}

export function usageError(message: string, hint?: string): NvprobeError {
  return new NvprobeError(message, { exitCode: ExitCode.usage, hint });
}

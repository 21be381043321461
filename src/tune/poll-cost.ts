/**
 * tune's default cap on the idle polling share, in % of a vCPU (README, "What polling costs"):
 * halt polling adapts its window to the wake-ups that come in time, so on a guest where it pays
 * the idle share stays at a few tenths of a percent; above 5 % the vCPU mostly spins for
 * wake-ups that do not come, and a host that overcommits pays one vCPU in twenty for nothing.
 */
export const DEFAULT_MAX_IDLE_POLL_PERCENT = 5;

/** The active choice of a sysfs choice list (`none [mq-deadline] kyber` → `mq-deadline`), or null when none is marked. */
export function activeChoice(raw: string): string | null {
  const m = /\[([^\]]+)\]/.exec(raw);
  return m ? m[1]! : null;
}

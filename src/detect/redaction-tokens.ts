/**
 * Stable placeholders for redaction: the same (kind, value) always gets the same token,
 * `REDACTED-<kind>-<n>`, numbered per kind in order of first sight.
 */
export class RedactionTokens {
  private readonly tokens = new Map<string, string>();
  private readonly counters = new Map<string, number>();

  /** The token for this value of this kind; `isNew` on its first use. */
  token(kind: string, value: string): { token: string; isNew: boolean } {
    const key = `${kind}\0${value}`;
    const known = this.tokens.get(key);
    if (known !== undefined) return { token: known, isNew: false };
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    const token = `REDACTED-${kind}-${n}`;
    this.tokens.set(key, token);
    return { token, isNew: true };
  }
}

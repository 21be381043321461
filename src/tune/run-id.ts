import { randomBytes } from 'node:crypto';

/** Sortable and unique: 2026-11-24T21-40-00-123Z-1a2b. */
export function newRunId(): string {
  return `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(2).toString('hex')}`;
}

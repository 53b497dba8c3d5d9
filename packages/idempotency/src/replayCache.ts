import type { LiveRecord } from './idempotencyRecords.js';

/**
 * Live records this process has seen, so a replay needs no database read. Safe because a live
 * record never changes: it is only ever replaced after it expired. An entry is trusted for the
 * record's remaining life as PostgreSQL counted it (a duration, so no clock skew enters), less a
 * second, and never longer than `maxAgeMs`; the oldest entries go first when it is full.
 */
export class ReplayCache {
  private readonly entries = new Map<string, { record: LiveRecord; until: number }>();
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;

  constructor(maxEntries: number, maxAgeMs = 60_000) {
    this.maxEntries = maxEntries;
    this.maxAgeMs = maxAgeMs;
  }

  get(scopeKey: string): LiveRecord | undefined {
    const entry = this.entries.get(scopeKey);
    if (entry === undefined) return undefined;
    if (entry.until > performance.now()) return entry.record;
    this.entries.delete(scopeKey);
    return undefined;
  }

  /** Remembers a record that PostgreSQL said lives `remainingMs` longer. */
  set(record: LiveRecord, remainingMs: number): void {
    const trustedMs = Math.min(remainingMs - 1_000, this.maxAgeMs);
    if (this.maxEntries <= 0 || trustedMs <= 0) return;
    this.entries.delete(record.scopeKey);
    this.entries.set(record.scopeKey, { record, until: performance.now() + trustedMs });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}

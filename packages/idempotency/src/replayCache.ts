import type { LiveRecord } from './idempotencyRecords.js';

export interface ReplayCacheLimits {
  /** Entries at most (0: the cache is off). */
  maxEntries: number;
  /** Bytes at most, by an upper bound of each entry's size (0: the cache is off). */
  maxBytes: number;
  /** The longest an entry is trusted. */
  maxAgeMs?: number;
}

// Map entry, record object, dates, buffer header: a generous allowance per entry.
const entryOverhead = 400;

/**
 * Live records this process has seen, so a replay needs no database read. Safe because a live
 * record never changes: it is only ever replaced after it expired. An entry is trusted for the
 * record's remaining life as PostgreSQL counted it (a duration, so no clock skew enters), less a
 * second, and never longer than `maxAgeMs`. Bounded by entries and by bytes (strings counted at
 * two bytes a character, an upper bound of V8's): the oldest entries go first when either is
 * full, and `evictExpired` frees expired entries without waiting for them to be read again.
 */
export class ReplayCache {
  private readonly entries = new Map<string, { record: LiveRecord; until: number; bytes: number }>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  private totalBytes = 0;

  constructor({ maxEntries, maxBytes, maxAgeMs = 60_000 }: ReplayCacheLimits) {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
    this.maxAgeMs = maxAgeMs;
  }

  /** Entries and the upper bound of their bytes. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.totalBytes };
  }

  get(scopeKey: string): LiveRecord | undefined {
    const entry = this.entries.get(scopeKey);
    if (entry === undefined) return undefined;
    if (entry.until > performance.now()) return entry.record;
    this.remove(scopeKey);
    return undefined;
  }

  /** Remembers a record that PostgreSQL said lives `remainingMs` longer. */
  set(record: LiveRecord, remainingMs: number): void {
    const trustedMs = Math.min(remainingMs - 1_000, this.maxAgeMs);
    if (this.maxEntries <= 0 || this.maxBytes <= 0 || trustedMs <= 0) return;
    const bytes = sizeOf(record);
    if (bytes > this.maxBytes) return;
    this.remove(record.scopeKey);
    this.entries.set(record.scopeKey, { record, until: performance.now() + trustedMs, bytes });
    this.totalBytes += bytes;
    while (this.entries.size > this.maxEntries || this.totalBytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.remove(oldest);
    }
  }

  /** Drops every entry no longer trusted; returns how many. */
  evictExpired(): number {
    const now = performance.now();
    let evicted = 0;
    for (const [scopeKey, entry] of this.entries) {
      if (entry.until <= now) {
        this.remove(scopeKey);
        evicted += 1;
      }
    }
    return evicted;
  }

  private remove(scopeKey: string): void {
    const entry = this.entries.get(scopeKey);
    if (entry === undefined) return;
    this.entries.delete(scopeKey);
    this.totalBytes -= entry.bytes;
  }
}

function sizeOf(record: LiveRecord): number {
  let chars = record.scopeKey.length * 2 + record.reply.body.length + record.requestId.length;
  for (const [name, value] of Object.entries(record.reply.headers)) chars += name.length + value.length;
  for (const id of record.resourceIds) chars += id.length;
  // The scope key is held twice (the map's key and the record's).
  return entryOverhead + 2 * chars + record.fingerprint.length + record.resourceIds.length * 16;
}

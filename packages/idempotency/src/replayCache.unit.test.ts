import { setTimeout as sleep } from 'node:timers/promises';
import type { LiveRecord } from './idempotencyRecords.js';
import { ReplayCache } from './replayCache.js';

const record = (scopeKey: string, body = '{}'): LiveRecord => ({
  scopeKey,
  fingerprint: Buffer.alloc(32),
  reply: { status: 202, headers: {}, body },
  resourceIds: [],
  requestId: 'req_1',
  createdAt: new Date(),
  expiresAt: new Date(Date.now() + 60_000),
  remainingMs: 60_000,
});

describe('the replay cache', () => {
  it('keeps a record for its remaining life less a second, at most maxAgeMs', async () => {
    const cache = new ReplayCache({ maxEntries: 10, maxBytes: 1_000_000, maxAgeMs: 50 });
    cache.set(record('a'), 60_000);
    cache.set(record('b'), 1_020);
    cache.set(record('c'), 900);
    expect(cache.get('a')?.scopeKey).toBe('a');
    expect(cache.get('c')).toBeUndefined();
    await sleep(30);
    expect(cache.get('b')).toBeUndefined();
    await sleep(30);
    expect(cache.get('a')).toBeUndefined();
  });

  it('forgets the oldest entry when full, and keeps nothing when its size is 0', () => {
    const cache = new ReplayCache({ maxEntries: 2, maxBytes: 1_000_000 });
    for (const key of ['a', 'b', 'c']) cache.set(record(key), 60_000);
    expect([cache.get('a'), cache.get('b')?.scopeKey, cache.get('c')?.scopeKey]).toEqual([
      undefined,
      'b',
      'c',
    ]);
    const none = new ReplayCache({ maxEntries: 0, maxBytes: 1_000_000 });
    none.set(record('a'), 60_000);
    expect(none.get('a')).toBeUndefined();
  });

  it('stays under its byte bound when filled with large replies, oldest first out', () => {
    const cache = new ReplayCache({ maxEntries: 10_000, maxBytes: 1_000_000 });
    const large = 'x'.repeat(100_000);
    for (let i = 0; i < 50; i += 1) {
      cache.set(record(`k${i}`, large), 60_000);
      expect(cache.size.bytes).toBeLessThanOrEqual(1_000_000);
    }
    expect(cache.size.entries).toBe(4);
    expect(cache.get('k49')?.scopeKey).toBe('k49');
    expect(cache.get('k0')).toBeUndefined();
    // A reply larger than the whole bound is never kept.
    cache.set(record('huge', 'x'.repeat(600_000)), 60_000);
    expect(cache.get('huge')).toBeUndefined();
  });

  it('frees expired entries without their being read again', async () => {
    const cache = new ReplayCache({ maxEntries: 10_000, maxBytes: 10_000_000, maxAgeMs: 20 });
    for (let i = 0; i < 20; i += 1) cache.set(record(`k${i}`, 'x'.repeat(10_000)), 60_000);
    expect(cache.size.bytes).toBeGreaterThan(200_000);
    await sleep(40);
    expect(cache.evictExpired()).toBe(20);
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import type { LiveRecord } from './idempotencyRecords.js';
import { ReplayCache } from './replayCache.js';

const record = (scopeKey: string): LiveRecord => ({
  scopeKey,
  fingerprint: Buffer.alloc(32),
  reply: { status: 202, headers: {}, body: '{}' },
  resourceIds: [],
  requestId: 'req_1',
  createdAt: new Date(),
  expiresAt: new Date(Date.now() + 60_000),
  remainingMs: 60_000,
});

describe('the replay cache', () => {
  it('keeps a record for its remaining life less a second, at most maxAgeMs', async () => {
    const cache = new ReplayCache(10, 50);
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
    const cache = new ReplayCache(2);
    for (const key of ['a', 'b', 'c']) cache.set(record(key), 60_000);
    expect([cache.get('a'), cache.get('b')?.scopeKey, cache.get('c')?.scopeKey]).toEqual([
      undefined,
      'b',
      'c',
    ]);
    const none = new ReplayCache(0);
    none.set(record('a'), 60_000);
    expect(none.get('a')).toBeUndefined();
  });
});

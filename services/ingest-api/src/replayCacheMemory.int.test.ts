import { setTimeout as sleep } from 'node:timers/promises';
import { sms, startTestServer, type TestServer } from './testing/startTestServer.js';

async function cacheBytes(api: TestServer): Promise<number> {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  const value = /^exactly_idempotency_replay_cache_bytes(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1];
  if (value === undefined) throw new Error('no exactly_idempotency_replay_cache_bytes in /metrics');
  return Number(value);
}

describe('the replay cache filled with large replies', () => {
  it('stays under IDEMPOTENCY_REPLAY_CACHE_BYTES, and empties once its entries expire, unread', async () => {
    const bound = 2_000_000;
    const api = await startTestServer(
      { IDEMPOTENCY_REPLAY_CACHE_BYTES: String(bound), IDEMPOTENCY_RETENTION: '10s' },
      { listen: true },
    );
    try {
      const who = await api.newAccount();
      const batch = JSON.stringify({ messages: Array.from({ length: 1_000 }, () => sms()) });
      let highest = 0;
      for (let i = 0; i < 20; i += 1) {
        const response = await fetch(`${api.url}/v1/messages/batch`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${who.apiKey}`,
            'content-type': 'application/json',
            'idempotency-key': `large-${i}`,
          },
          body: batch,
        });
        expect(response.status).toBe(202);
        expect((await response.text()).length).toBeGreaterThan(100_000);
        highest = Math.max(highest, await cacheBytes(api));
      }
      // More than one entry at once (each is about 390 kB): with a 10 s retention they overlap
      // even when a batch of 1,000 takes seconds on a loaded machine.
      expect(highest).toBeGreaterThan(bound / 4);
      expect(highest).toBeLessThanOrEqual(bound);

      // Trusted for the record's remaining life less a second (9 s here); evicted within a second after.
      let bytes = await cacheBytes(api);
      for (let waited = 0; bytes > 0 && waited < 30; waited += 1) {
        await sleep(500);
        bytes = await cacheBytes(api);
      }
      expect(bytes).toBe(0);
    } finally {
      await api.close();
    }
  });
});

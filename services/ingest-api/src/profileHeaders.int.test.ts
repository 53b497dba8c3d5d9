import { idempotencyProfileNames } from '@exactly/idempotency';
import { email, startTestServer, storedFor } from './testing/startTestServer.js';

describe.each(idempotencyProfileNames)('a key in a header the %s profile does not read', (profile) => {
  it('is refused with 400 naming the right header, and nothing is stored', async () => {
    const api = await startTestServer({ IDEMPOTENCY_PROFILE: profile }, { listen: true });
    try {
      const right = api.server.engine.profile.header;
      const wrong = right.toLowerCase() === 'idempotency-key' ? 'X-Idempotency-Key' : 'Idempotency-Key';
      const who = await api.newAccount();
      const post = (header: string) =>
        fetch(`${api.url}/v1/messages`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${who.apiKey}`,
            'content-type': 'application/json',
            [header]: 'k-1',
          },
          body: JSON.stringify(email()),
        });
      const refused = await post(wrong);
      expect(refused.status).toBe(400);
      const problem = (await refused.json()) as { code: string; detail: string; header: string };
      expect(problem.code).toBe('idempotency_key_invalid');
      expect(problem.header).toBe(right);
      expect(problem.detail).toContain(right);
      expect((await storedFor(api.orm, who.accountId)).messages).toEqual([]);

      const first = await post(right);
      const retry = await post(right);
      expect(first.status).toBeLessThan(300);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect((await storedFor(api.orm, who.accountId)).messages).toHaveLength(1);
    } finally {
      await api.close();
    }
  });
});

describe('a used key with another body under the txtly profile ("the same response for identical keys")', () => {
  it('gets the first reply, marked replayed, and nothing more is stored; the default profile still refuses', async () => {
    for (const [profile, expected] of [
      ['txtly', 202],
      ['default', 422],
    ] as const) {
      const api = await startTestServer({ IDEMPOTENCY_PROFILE: profile }, { listen: true });
      try {
        const who = await api.newAccount();
        const post = (subject: string) =>
          fetch(`${api.url}/v1/messages`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${who.apiKey}`,
              'content-type': 'application/json',
              'idempotency-key': 'same',
            },
            body: JSON.stringify(email({ subject })),
          });
        const first = await post('First');
        const firstBody = await first.text();
        const other = await post('Other');
        expect({ profile, status: other.status }).toEqual({ profile, status: expected });
        if (expected === 202) expect(await other.text()).toBe(firstBody);
        expect((await storedFor(api.orm, who.accountId)).messages).toHaveLength(1);
      } finally {
        await api.close();
      }
    }
  });
});

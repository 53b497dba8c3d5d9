import { email, startTestServer } from './testing/startTestServer.js';

interface KeyStateBody {
  state: string;
  createdAt?: string;
  expiresAt?: string;
  endpoints?: {
    endpoint: string;
    state: string;
    messageIds?: string[];
    createdAt?: string;
    expiresAt?: string;
  }[];
}

describe('the state of a key used at two endpoints under the truedy profile (keys scoped per endpoint)', () => {
  it('answers per endpoint, each with its own record’s times, never a mix of the two', async () => {
    const api = await startTestServer({ IDEMPOTENCY_PROFILE: 'truedy' }, { listen: true });
    try {
      const who = await api.newAccount();
      const headers = {
        authorization: `Bearer ${who.apiKey}`,
        'content-type': 'application/json',
        'x-idempotency-key': 'shared',
      };
      const one = await fetch(`${api.url}/v1/messages`, {
        method: 'POST',
        headers,
        body: JSON.stringify(email()),
      });
      expect(one.status).toBe(201);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const batch = await fetch(`${api.url}/v1/messages/batch`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ messages: [email(), email()] }),
      });
      expect(batch.status).toBe(201);

      const state = (await (
        await fetch(`${api.url}/v1/idempotency-keys/shared`, {
          headers: { authorization: headers.authorization },
        })
      ).json()) as KeyStateBody;
      expect(state.state).toBe('completed');
      expect(state.createdAt).toBeUndefined();
      expect(state.expiresAt).toBeUndefined();
      const byEndpoint = new Map(state.endpoints?.map((entry) => [entry.endpoint, entry]));
      const single = byEndpoint.get('POST /v1/messages');
      const many = byEndpoint.get('POST /v1/messages/batch');
      expect(single?.messageIds).toHaveLength(1);
      expect(many?.messageIds).toHaveLength(2);
      for (const entry of [single, many]) {
        expect(entry?.state).toBe('completed');
        // Each answer's lifetime is its own record's: exactly the 24 h retention.
        expect(Date.parse(entry?.expiresAt ?? '') - Date.parse(entry?.createdAt ?? '')).toBe(86_400_000);
      }
      expect(Date.parse(many?.createdAt ?? '')).toBeGreaterThan(Date.parse(single?.createdAt ?? ''));
    } finally {
      await api.close();
    }
  });
});

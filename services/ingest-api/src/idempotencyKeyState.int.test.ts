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

describe('the state of a key that created a template or a webhook endpoint (default profile, keys per endpoint)', () => {
  it('reports each create as completed with the id it created, and a wait on it ends at once', async () => {
    const api = await startTestServer({ WEBHOOKS_ALLOW_PRIVATE_URLS: 'true' }, { listen: true });
    try {
      const who = await api.newAccount();
      const authorization = `Bearer ${who.apiKey}`;
      const create = async (path: string, body: unknown, key: string) => {
        const response = await fetch(`${api.url}${path}`, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify(body),
        });
        expect(response.status).toBe(201);
        return ((await response.json()) as { id: string }).id;
      };
      const stateOf = async (key: string, query = '') =>
        (await (
          await fetch(`${api.url}/v1/idempotency-keys/${key}${query}`, { headers: { authorization } })
        ).json()) as KeyStateBody & { messageIds?: string[]; resourceIds?: string[]; done?: boolean };

      const templateId = await create(
        '/v1/templates',
        { name: 'hello', channel: 'sms', text: 'Hi {{name}}' },
        'tpl-create',
      );
      const endpointId = await create(
        '/v1/webhook-endpoints',
        { url: 'http://127.0.0.1:9/hook' },
        'whe-create',
      );

      for (const [key, id] of [
        ['tpl-create', templateId],
        ['whe-create', endpointId],
      ] as const) {
        const state = await stateOf(key);
        expect(state).toMatchObject({ state: 'completed', resourceIds: [id] });
        // Not a message: never listed as one.
        expect(state.messageIds).toBeUndefined();
        expect(Date.parse(state.expiresAt ?? '') - Date.parse(state.createdAt ?? '')).toBe(86_400_000);
        // Nothing of the key is waiting to be sent: the wait answers at once, not at its end.
        const waited = await stateOf(key, '?wait=40s');
        expect(waited).toMatchObject({ state: 'completed', done: true });
      }
    } finally {
      await api.close();
    }
  }, 30_000);
});

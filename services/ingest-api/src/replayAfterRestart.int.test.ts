import { email, startTestServer, type TestServer } from './testing/startTestServer.js';

async function send(api: TestServer, apiKey: string, key: string) {
  const response = await fetch(`${api.url}/v1/messages`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      'idempotency-key': key,
    },
    body: JSON.stringify(email()),
  });
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed'),
    body: await response.text(),
  };
}

describe('concurrent retries of a request that finished long ago (default profile: conflict)', () => {
  it('all get the replay, not 409', async () => {
    const first = await startTestServer({}, { listen: true });
    const who = await first.newAccount();
    const original = await send(first, who.apiKey, 'long-ago');
    await first.close();
    expect(original.status).toBe(202);

    // A fresh process: nothing of the first request is in memory, as after a restart or a long while.
    const later = await startTestServer({}, { listen: true });
    try {
      const retries = await Promise.all(Array.from({ length: 8 }, () => send(later, who.apiKey, 'long-ago')));
      expect(retries.map((retry) => retry.status)).toEqual(Array.from({ length: 8 }, () => 202));
      expect(retries.every((retry) => retry.replayed === 'true' && retry.body === original.body)).toBe(true);
    } finally {
      await later.close();
    }
  });
});

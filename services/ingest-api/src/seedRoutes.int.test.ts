import { email, startTestServer, storedFor } from './testing/startTestServer.js';

const call = (overrides: Record<string, unknown> = {}) => ({
  agent_id: 'agent-7',
  phone_number: '+15551234567',
  direction: 'outbound',
  ...overrides,
});

describe('a seed route under another profile', () => {
  it('does not exist: 404, nothing stored', async () => {
    const api = await startTestServer({ IDEMPOTENCY_PROFILE: 'default' });
    try {
      const who = await api.newAccount();
      for (const url of ['/emails', '/api/emails', '/api/public/v1/calls', '/api/public/v1/batch-calls']) {
        const answer = await api.inject({
          method: 'POST',
          url,
          headers: { authorization: `Bearer ${who.apiKey}`, 'idempotency-key': 'k' },
          payload: call(),
        });
        expect({ url, status: answer.statusCode }).toEqual({ url, status: 404 });
      }
      expect((await storedFor(api.orm, who.accountId)).messages).toEqual([]);
    } finally {
      await api.close();
    }
  });
});

describe('the truedy profile', () => {
  it('creates a batch of calls with 201 in `data`, replays it, and names the calls under the key', async () => {
    const api = await startTestServer({ IDEMPOTENCY_PROFILE: 'truedy', TRUEDY_CALLER_ID: '+15550100001' });
    try {
      const who = await api.newAccount();
      const post = () =>
        api.inject({
          method: 'POST',
          url: '/api/public/v1/batch-calls',
          headers: { authorization: `Bearer ${who.apiKey}`, 'x-idempotency-key': 'batch-1' },
          payload: { calls: [call(), call({ phone_number: '+15557654321' })] },
        });
      const first = await post();
      const retry = await post();
      expect(first.statusCode).toBe(201);
      const created = first.json() as { data: { messages: { id: string; from: string }[] } };
      expect(created.data.messages).toHaveLength(2);
      expect(created.data.messages[0]?.from).toBe('+15550100001');
      expect(retry.body).toBe(first.body);
      expect((await storedFor(api.orm, who.accountId)).messages).toHaveLength(2);

      const state = await api.inject({
        method: 'GET',
        url: '/v1/idempotency-keys/batch-1',
        headers: { authorization: `Bearer ${who.apiKey}` },
      });
      expect(state.json()).toMatchObject({
        state: 'completed',
        messageIds: created.data.messages.map((message) => message.id),
      });
    } finally {
      await api.close();
    }
  });

  it('refuses an inbound call or a bad number with 400 naming the field, and stores nothing', async () => {
    const api = await startTestServer({ IDEMPOTENCY_PROFILE: 'truedy' });
    try {
      const who = await api.newAccount();
      for (const [body, path] of [
        [call({ direction: 'inbound' }), 'direction'],
        [call({ phone_number: '555-1234' }), 'phone_number'],
        [call({ agent_id: '' }), 'agent_id'],
        [{ ...call(), script: 'x' }, ''],
      ] as const) {
        const answer = await api.inject({
          method: 'POST',
          url: '/api/public/v1/calls',
          headers: { authorization: `Bearer ${who.apiKey}` },
          payload: body,
        });
        expect(answer.statusCode).toBe(400);
        expect((answer.json() as { errors: { path: string }[] }).errors[0]?.path).toBe(path);
      }
      expect((await storedFor(api.orm, who.accountId)).messages).toEqual([]);
    } finally {
      await api.close();
    }
  });
});

describe('the getmailer profile', () => {
  it('refuses an email without a body naming the field (400), as /v1/messages does', async () => {
    const api = await startTestServer({ IDEMPOTENCY_PROFILE: 'getmailer' });
    try {
      const who = await api.newAccount();
      const answer = await api.inject({
        method: 'POST',
        url: '/api/emails',
        headers: { authorization: `Bearer ${who.apiKey}` },
        payload: { from: 'a@example.com', to: 'b@example.com', subject: 'Hi' },
      });
      expect(answer.statusCode).toBe(400);
      expect((answer.json() as { errors: { path: string }[] }).errors[0]?.path).toBe('text');
    } finally {
      await api.close();
    }
  });
});

describe('one key at a seed route and at /v1/messages, as each profile scopes keys', () => {
  const vendorEmail = {
    to: 'user@example.com',
    from: 'noreply@example.com',
    subject: 'Hi',
    html: '<p>Hi</p>',
  };

  it.each([
    // Not per endpoint, another request under the key: txtly replays the first reply, getmailer refuses.
    ['txtly', '/emails', 202, 1],
    ['getmailer', '/api/emails', 409, 1],
  ] as const)('%s: the second (%s) gets %i and %i message exists', async (profile, route, status, count) => {
    const api = await startTestServer({ IDEMPOTENCY_PROFILE: profile });
    try {
      const who = await api.newAccount();
      const headers = { authorization: `Bearer ${who.apiKey}`, 'idempotency-key': 'shared' };
      const first = await api.inject({ method: 'POST', url: '/v1/messages', headers, payload: email() });
      const second = await api.inject({ method: 'POST', url: route, headers, payload: vendorEmail });
      expect(first.statusCode).toBe(202);
      expect(second.statusCode).toBe(status);
      if (status === 202) expect(second.body).toBe(first.body);
      expect((await storedFor(api.orm, who.accountId)).messages).toHaveLength(count);
    } finally {
      await api.close();
    }
  });

  it('truedy (per endpoint): one key creates once at /calls and once at /batch-calls, and refuses another body with 422', async () => {
    const api = await startTestServer({ IDEMPOTENCY_PROFILE: 'truedy' });
    try {
      const who = await api.newAccount();
      const headers = { authorization: `Bearer ${who.apiKey}`, 'x-idempotency-key': 'shared' };
      const one = await api.inject({ method: 'POST', url: '/api/public/v1/calls', headers, payload: call() });
      const batch = await api.inject({
        method: 'POST',
        url: '/api/public/v1/batch-calls',
        headers,
        payload: { calls: [call()] },
      });
      const other = await api.inject({
        method: 'POST',
        url: '/api/public/v1/calls',
        headers,
        payload: call({ agent_id: 'agent-8' }),
      });
      expect([one.statusCode, batch.statusCode, other.statusCode]).toEqual([201, 201, 422]);
      expect((await storedFor(api.orm, who.accountId)).messages).toHaveLength(2);
    } finally {
      await api.close();
    }
  });
});

import { WebhookEndpoint } from '@exactly/contracts';
import { idempotencyProfileNames } from '@exactly/idempotency';
import { runSql } from '@exactly/persistence';
import { startTestServer, type TestServer } from './testing/startTestServer.js';

const refusedUrls = [
  'http://10.0.0.7/hook',
  'http://127.0.0.1:8080/hook',
  'http://169.254.169.254/latest/meta-data',
  'http://[::1]/hook',
  'http://[fc00::1]/hook',
  'http://[::ffff:127.0.0.1]/hook',
];

async function call(
  api: TestServer,
  apiKey: string,
  method: string,
  path: string,
  body?: unknown,
  key?: string,
) {
  const header = api.server.engine.profile.header;
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(key === undefined ? {} : { [header]: key }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const json = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
  const unwrapped =
    json !== undefined &&
    api.server.engine.profile.envelope === 'data' &&
    'data' in json &&
    !Array.isArray(json.data)
      ? (json.data as Record<string, unknown>)
      : json;
  return { status: response.status, headers: response.headers, body: unwrapped as Record<string, unknown> };
}

describe('registering a webhook endpoint on a private, loopback or link-local address with the operator setting off', () => {
  let api: TestServer;
  beforeAll(async () => {
    api = await startTestServer({ WEBHOOKS_ALLOW_PRIVATE_URLS: 'false' }, { listen: true });
  });
  afterAll(() => api.close());

  it.each(refusedUrls)('refuses %s with a 400 naming the url, and stores nothing', async (url) => {
    const who = await api.newAccount();
    const answer = await call(api, who.apiKey, 'POST', '/v1/webhook-endpoints', { url }, `k-${url}`);
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('invalid_request');
    expect(JSON.stringify(answer.body)).toContain('url');
    const { rows } = await runSql(
      api.orm.em.fork(),
      'SELECT id FROM webhook_endpoints WHERE account_id = $1',
      [who.accountId],
    );
    expect(rows).toEqual([]);
  });

  it('refuses such a URL given by an update too', async () => {
    const who = await api.newAccount();
    await runSql(
      api.orm.em.fork(),
      `INSERT INTO webhook_endpoints (id, account_id, url, secret) VALUES ($1, $2, 'https://example.com/hook', 'whsec_x')`,
      ['whe_0123456789abcdef0123456789abcdef', who.accountId],
    );
    const answer = await call(
      api,
      who.apiKey,
      'PATCH',
      '/v1/webhook-endpoints/whe_0123456789abcdef0123456789abcdef',
      {
        url: 'http://[::ffff:10.1.1.1]/x',
      },
    );
    expect(answer.status).toBe(400);
  });
});

describe.each(idempotencyProfileNames)('creating a webhook endpoint under the %s profile', (profile) => {
  let api: TestServer;
  beforeAll(async () => {
    api = await startTestServer(
      { IDEMPOTENCY_PROFILE: profile, WEBHOOKS_ALLOW_PRIVATE_URLS: 'true' },
      { listen: true },
    );
  });
  afterAll(() => api.close());

  it('creates once per key: a retry gets the first reply (same id and secret) marked replayed, and one row exists', async () => {
    const who = await api.newAccount();
    const body = { url: 'http://127.0.0.1:9/hook', eventTypes: ['MessageAccepted'] };
    const first = await call(api, who.apiKey, 'POST', '/v1/webhook-endpoints', body, 'create-1');
    const retry = await call(api, who.apiKey, 'POST', '/v1/webhook-endpoints', body, 'create-1');
    expect(first.status).toBe(201);
    expect(first.body.id).toMatch(/^whe_[0-9a-f]{32}$/);
    expect(first.body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body.id).toBe(first.body.id);
    expect(retry.body.secret).toBe(first.body.secret);
    const list = await call(api, who.apiKey, 'GET', '/v1/webhook-endpoints');
    const listed = list.body.data as { id: string; secret?: string }[];
    expect(listed.map((endpoint) => endpoint.id)).toEqual([first.body.id]);
    expect(listed[0]?.secret).toBeUndefined();
    // The answers are what the one contract (used by the SDK and the dashboard) says they are.
    expect(() => WebhookEndpoint.parse(first.body)).not.toThrow();
    expect(() => WebhookEndpoint.array().parse(listed)).not.toThrow();
  });
});

describe('managing a webhook endpoint', () => {
  let api: TestServer;
  beforeAll(async () => {
    api = await startTestServer({ WEBHOOKS_ALLOW_PRIVATE_URLS: 'true' }, { listen: true });
  });
  afterAll(() => api.close());

  it('updates, disables, enables and rotates the secret, each recorded as an event; another account sees 404', async () => {
    const who = await api.newAccount();
    const other = await api.newAccount();
    const created = await call(
      api,
      who.apiKey,
      'POST',
      '/v1/webhook-endpoints',
      { url: 'http://127.0.0.1:9/a' },
      'c',
    );
    const id = created.body.id as string;
    const path = `/v1/webhook-endpoints/${id}`;

    const updated = await call(api, who.apiKey, 'PATCH', path, {
      url: 'http://127.0.0.1:9/b',
      eventTypes: ['MessageFailed'],
    });
    expect(updated.body).toMatchObject({ url: 'http://127.0.0.1:9/b', eventTypes: ['MessageFailed'] });

    const disabled = await call(api, who.apiKey, 'POST', `${path}/disable`, { reason: 'maintenance' });
    expect(disabled.body).toMatchObject({ disabled: true, disabledReason: 'maintenance' });
    const enabled = await call(api, who.apiKey, 'POST', `${path}/enable`);
    expect(enabled.body).toMatchObject({ disabled: false, disabledReason: null });

    const rotated = await call(api, who.apiKey, 'POST', `${path}/rotate-secret`);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect(Date.parse(rotated.body.previousSecretUntil as string)).toBeGreaterThan(Date.now());

    const events = await call(api, who.apiKey, 'GET', `${path}/events`);
    expect((events.body.data as { type: string }[]).map((event) => event.type)).toEqual([
      'WebhookSecretRotated',
      'WebhookEndpointEnabled',
      'WebhookEndpointDisabled',
    ]);

    expect((await call(api, other.apiKey, 'GET', path)).status).toBe(404);
    expect((await call(api, other.apiKey, 'POST', `${path}/disable`, {})).status).toBe(404);
    expect((await call(api, who.apiKey, 'POST', `${path}/replay`, { since: 'yesterday' })).status).toBe(400);
  });
});

import { randomBytes } from 'node:crypto';
import { appendToStreams } from '@exactly/message-store';
import { Account, issueApiKey, newId, runSql } from '@exactly/persistence';
import { type Caller, IngestApi } from '@exactly/testkit';
import { startTestConsole, type TestConsole } from '../testing/startTestConsole.js';

const token = `operator-${randomBytes(12).toString('base64url')}`;
const commandsTopic = `dashboard-test-${randomBytes(4).toString('hex')}`;
let api: TestConsole;
// The ingest API as a process of its own: the console scrapes its /metrics for the replays.
let ingest: IngestApi;
let account: Caller;
let session: string;

const sms = (overrides: Record<string, unknown> = {}) => ({
  channel: 'sms',
  to: '+15551234567',
  from: 'Acme',
  text: 'Your code is 1234',
  ...overrides,
});

beforeAll(async () => {
  ingest = await IngestApi.start('default', { COMMANDS_TOPIC: commandsTopic });
  api = await startTestConsole(
    {
      OPERATOR_TOKEN: token,
      DASHBOARD_SAMPLE_INTERVAL: '250ms',
      DASHBOARD_SETTLE: '0',
      DASHBOARD_METRICS_URLS: `${ingest.url}/metrics`,
      COMMANDS_TOPIC: commandsTopic,
    },
    { listen: true },
  );
  const accountId = newId('acc');
  const em = api.orm.em.fork();
  em.create(Account, { id: accountId, name: 'console test account' });
  await em.flush();
  const issued = await issueApiKey(api.orm.em.fork(), accountId);
  account = { accountId, apiKey: issued.apiKey, keyId: issued.keyId };
  session = await signIn();
}, 120_000);

afterAll(async () => {
  await api?.close();
  await ingest?.stop();
});

async function signIn(given = token) {
  const response = await api.inject({
    method: 'POST',
    url: '/dashboard/api/session',
    payload: { token: given },
  });
  return response.headers['set-cookie']?.toString().split(';')[0] ?? `status ${response.statusCode}`;
}

const asOperator = (url: string) => api.inject({ method: 'GET', url, headers: { cookie: session } });

async function send(key: string) {
  const response = await ingest.post('/v1/messages', account, sms(), { 'idempotency-key': key });
  expect(response.status).toBe(202);
  return response.json.id as string;
}

describe('signing in to the dashboard', () => {
  it('gives a session cookie (HttpOnly, SameSite=Strict, path /dashboard) for the operator token', async () => {
    const response = await api.inject({ method: 'POST', url: '/dashboard/api/session', payload: { token } });
    expect(response.statusCode).toBe(204);
    const cookie = response.headers['set-cookie']?.toString() ?? '';
    expect(cookie).toMatch(
      /^exactly_operator=v1\.\d+\.[\w-]+; Path=\/dashboard; Max-Age=43200; HttpOnly; SameSite=Strict$/,
    );
    expect(cookie).not.toContain(token);
  });

  it.each([
    ['a wrong token', () => 'operator-but-not-the-right-one'],
    ["an account's API key", () => account.apiKey],
  ])('refuses %s with 401 and no cookie', async (_, given) => {
    const response = await api.inject({
      method: 'POST',
      url: '/dashboard/api/session',
      payload: { token: given() },
    });
    expect(response.statusCode).toBe(401);
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it("refuses the data routes without a session, with a forged one, or with an account's API key", async () => {
    const forged = `exactly_operator=v1.${Date.now() + 3_600_000}.${'A'.repeat(43)}`;
    for (const headers of [{}, { cookie: forged }, { authorization: `Bearer ${account.apiKey}` }]) {
      const response = await api.inject({ method: 'GET', url: '/dashboard/api/snapshot', headers });
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('takes the operator token as a bearer token for scripts', async () => {
    const response = await api.inject({
      method: 'GET',
      url: '/dashboard/api/session',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.json()).toEqual({ signedIn: true });
  });

  it('refuses a change sent from another site', async () => {
    const response = await api.inject({
      method: 'POST',
      url: '/dashboard/api/dead-letters/1/redrive',
      headers: { cookie: session, origin: 'https://evil.example' },
      payload: {},
    });
    expect(response.statusCode).toBe(403);
  });

  it('serves the page with a strict Content-Security-Policy', async () => {
    const response = await api.inject({ method: 'GET', url: '/dashboard' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    const script = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(response.body)?.[1] ?? '';
    const asset = await api.inject({ method: 'GET', url: script });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    expect(
      (await api.inject({ method: 'GET', url: '/dashboard/assets/../../package.json' })).statusCode,
    ).toBe(404);
  });
});

describe('the snapshot', () => {
  it('counts accepted messages and replays, and says where each figure came from', async () => {
    const key = `snap-${randomBytes(4).toString('hex')}`;
    await asOperator('/dashboard/api/snapshot'); // starts the sampler: its first scrape is the baseline
    await send(key);
    await send(key); // a replay
    await send(`${key}-2`);
    let snapshot = (await asOperator('/dashboard/api/snapshot')).json();
    for (
      let i = 0;
      i < 40 && (snapshot.throughput.totals.accepted < 2 || snapshot.throughput.totals.replayed < 1);
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      snapshot = (await asOperator('/dashboard/api/snapshot')).json();
    }
    expect(snapshot.throughput.totals.accepted).toBeGreaterThanOrEqual(2);
    expect(snapshot.throughput.totals.replayed).toBeGreaterThanOrEqual(1);
    expect(snapshot.duplicates.totals.idempotencyReplays).toBe(snapshot.throughput.totals.replayed);
    expect(snapshot.held).toMatchObject({ count: expect.any(Number), latest: expect.any(Array) });
    // Replays are a counter only the services hold: the snapshot says from when it counted them.
    const windowStart = Date.parse(snapshot.at) - snapshot.windowMs;
    expect(Date.parse(snapshot.countedSince)).toBeGreaterThan(windowStart);
    expect(Date.parse(snapshot.countedSince)).toBeLessThanOrEqual(Date.parse(snapshot.at));
    expect(snapshot.throughput.t).toHaveLength(180);
    expect(snapshot.outbox.rows).toBeGreaterThanOrEqual(2);
    expect(snapshot.lag).toMatchObject({ source: 'database', total: null, group: 'exactly-dispatcher' });
    expect(snapshot.sources.map((source: { source: string }) => source.source)).toEqual(
      expect.arrayContaining(['database', 'this process', 'database: offsets', `${ingest.url}/metrics`]),
    );
  });

  it('shows the held messages, longest held first, with why', async () => {
    const id = await send(`held-${randomBytes(4).toString('hex')}`);
    await runSql(
      api.orm.em.fork(),
      `INSERT INTO effects (id, message_id, account_id, channel, provider, provider_key, request, state, attempt,
                            max_attempts, last_error, call_started_at, finished_at)
       VALUES ($1, $2, $3, 'sms', 'http', $2, '{"to":"+15551234567"}', 'held', 1, 5,
               'timed out after sending', now() - interval '2 seconds', now() - interval '1 second')`,
      [`eff_${id}`, id, account.accountId],
    );
    // The sampler answers its latest sample: the held row shows from the next one on.
    let snapshot = (await asOperator('/dashboard/api/snapshot')).json();
    for (let i = 0; i < 40 && !JSON.stringify(snapshot.held).includes(id); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      snapshot = (await asOperator('/dashboard/api/snapshot')).json();
    }
    expect(snapshot.held.count).toBeGreaterThanOrEqual(1);
    expect(snapshot.held.latest).toContainEqual(
      expect.objectContaining({
        messageId: id,
        provider: 'http',
        attempt: 1,
        reason: 'timed out after sending',
      }),
    );
  });

  it('shows scheduled and cancelled sends with their counts', async () => {
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    const post = (key: string) =>
      ingest.post('/v1/messages', account, { ...sms(), send_at: sendAt }, { 'idempotency-key': key });
    const waiting = (await post(`scheduled-${randomBytes(4).toString('hex')}`)).json.id as string;
    const cancelled = (await post(`cancelled-${randomBytes(4).toString('hex')}`)).json.id as string;
    const cancel = await ingest.post(`/v1/messages/${cancelled}/cancel`, account, undefined, {
      'idempotency-key': `cancel-${cancelled}`,
    });
    expect(cancel.status).toBe(200);
    // A sample taken between the send and its cancel shows both pending: wait for the cancel.
    const shown = (snapshot: { scheduled?: { latest: { messageId: string; state: string }[] } | null }) =>
      (snapshot.scheduled?.latest ?? []).some(
        (row) => row.messageId === waiting && row.state === 'pending',
      ) &&
      (snapshot.scheduled?.latest ?? []).some(
        (row) => row.messageId === cancelled && row.state === 'cancelled',
      );
    let snapshot = (await asOperator('/dashboard/api/snapshot')).json();
    for (let i = 0; i < 150 && !shown(snapshot); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      snapshot = (await asOperator('/dashboard/api/snapshot')).json();
    }
    expect(shown(snapshot) ? 'shown' : JSON.stringify(snapshot.scheduled)).toBe('shown');
    expect(snapshot.scheduled.counts.pending).toBeGreaterThanOrEqual(1);
    expect(snapshot.scheduled.counts.cancelled).toBeGreaterThanOrEqual(1);
    expect(snapshot.scheduled.nextDueAt).not.toBeNull();
    expect(snapshot.scheduled.latest).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ messageId: waiting, state: 'pending', channel: 'sms' }),
        expect.objectContaining({ messageId: cancelled, state: 'cancelled' }),
      ]),
    );
  });

  it('streams snapshots as server-sent events to a signed-in page', async () => {
    const controller = new AbortController();
    const response = await fetch(`${api.url}/dashboard/api/events`, {
      headers: { cookie: session },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = (response.body ?? new ReadableStream()).getReader();
    let text = '';
    while ((text.match(/event: snapshot/g) ?? []).length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    controller.abort();
    const first = /event: snapshot\ndata: (.*)\n/.exec(text)?.[1] ?? '{}';
    expect(JSON.parse(first)).toMatchObject({ bucketMs: 5_000, windowMs: 900_000 });
  });

  it('refuses the stream without a session', async () => {
    const response = await fetch(`${api.url}/dashboard/api/events`);
    expect(response.status).toBe(401);
  });
});

describe('finding a message', () => {
  it('finds it by id, by key, and by account/key, and shows its timeline and provider attempts', async () => {
    const key = `find-${randomBytes(4).toString('hex')}`;
    const id = await send(key);
    const effectId = `eff_test_${randomBytes(4).toString('hex')}`;
    await appendToStreams(api.orm.em.fork(), [
      {
        streamId: id,
        expectedVersion: 1,
        events: [{ type: 'DispatchRequested', data: { provider: 'http', effectId } }],
      },
    ]);
    await runSql(
      api.orm.em.fork(),
      `INSERT INTO effects (id, message_id, account_id, channel, provider, provider_key, request, state, attempt, max_attempts)
       VALUES ($1, $2, $3, 'sms', 'http', $2, '{}', 'pending', 1, 5)`,
      [effectId, id, account.accountId],
    );
    await runSql(
      api.orm.em.fork(),
      `INSERT INTO effect_attempts (effect_id, attempt, provider, outcome, error, started_at, finished_at)
       VALUES ($1, 1, 'http', 'retryable', 'provider answered 503', now() - interval '1 second', now())`,
      [effectId],
    );

    for (const query of [id, key, `${account.accountId}/${key}`]) {
      const found = (await asOperator(`/dashboard/api/messages?q=${encodeURIComponent(query)}`)).json();
      expect(found.matches.map((match: { id: string }) => match.id)).toEqual([id]);
    }
    const detail = (await asOperator(`/dashboard/api/messages/${id}`)).json();
    expect(detail).toMatchObject({
      id,
      accountId: account.accountId,
      messageKey: key,
      status: 'accepted',
    });
    expect(detail.events.map((event: { type: string }) => event.type)).toEqual([
      'MessageAccepted',
      'DispatchRequested',
    ]);
    expect(detail.events[0]).toMatchObject({
      version: 1,
      at: expect.any(String),
      data: { idempotencyKey: key },
    });
    expect(detail.effect).toMatchObject({ id: effectId, state: 'pending', attempt: 1, maxAttempts: 5 });
    expect(detail.attempts).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'retryable', error: 'provider answered 503' }),
    ]);
  });

  it("finds a batch's items by the batch's key", async () => {
    const key = `batch-${randomBytes(4).toString('hex')}`;
    const response = await ingest.post(
      '/v1/messages/batch',
      account,
      { messages: [sms(), sms()] },
      { 'idempotency-key': key },
    );
    expect(response.status).toBe(202);
    const found = (
      await asOperator(`/dashboard/api/messages?q=${encodeURIComponent(`${account.accountId}/${key}`)}`)
    ).json();
    expect(found.matches.map((match: { messageKey: string }) => match.messageKey).sort()).toEqual([
      `${key}/0`,
      `${key}/1`,
    ]);
  });

  it('answers 404 for a message that does not exist', async () => {
    expect((await asOperator(`/dashboard/api/messages/msg_${'0'.repeat(32)}`)).statusCode).toBe(404);
  });
});

describe('redriving a dead letter', () => {
  async function deadLetter(code: string, value: string) {
    const { rows } = await runSql<{ id: string }>(
      api.orm.em.fork(),
      `INSERT INTO dead_letters (code, reason, source_topic, source_partition, source_offset, kafka_key, headers, value)
       VALUES ($1, 'test', $2, 0, $3, 'acc_x/key-1', '{"exactly-message-id":"msg_x"}', convert_to($4, 'UTF8'))
       RETURNING id`,
      [code, `dlq-test-${randomBytes(4).toString('hex')}`, Math.floor(Math.random() * 1e9), value],
    );
    return Number(rows[0]?.id);
  }
  const redrive = (id: number) =>
    api.inject({
      method: 'POST',
      url: `/dashboard/api/dead-letters/${id}/redrive`,
      headers: { cookie: session, 'content-type': 'application/json' },
      payload: {},
    });

  it('re-publishes the record through the outbox once, however often it is pressed', async () => {
    const id = await deadLetter('schema_invalid', '{"not":"a command"}');
    const first = await redrive(id);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ id, outcome: 'redriven' });
    expect((await redrive(id)).json()).toMatchObject({ id, outcome: 'already_redriven' });
    const { rows } = await runSql<{ payload: unknown; headers: Record<string, string> }>(
      api.orm.em.fork(),
      `SELECT payload, headers FROM outbox WHERE headers ->> 'exactly-redrive-of' = $1`,
      [String(id)],
    );
    expect(rows).toEqual([
      {
        payload: { not: 'a command' },
        headers: { 'exactly-message-id': 'msg_x', 'exactly-redrive-of': String(id) },
      },
    ]);
    const listed = (await asOperator('/dashboard/api/dead-letters?limit=200')).json();
    expect(listed.find((letter: { id: number }) => letter.id === id)).toMatchObject({
      redrivenAt: expect.any(String),
    });
  });

  it('says why a dead letter cannot be redriven, and answers 404 for one that does not exist', async () => {
    const id = await deadLetter('payload_conflict', '{"a":1}');
    expect((await redrive(id)).json()).toMatchObject({
      id,
      outcome: 'not_redrivable',
      reason: expect.any(String),
    });
    expect((await redrive(999_999_999)).statusCode).toBe(404);
  });
});

describe('without an operator token', () => {
  it('is off: every /dashboard path answers 404 with the explanation', async () => {
    const off = await startTestConsole();
    try {
      const page = await off.inject({ method: 'GET', url: '/dashboard', headers: { accept: 'text/html' } });
      expect(page.statusCode).toBe(404);
      expect(page.body).toContain('OPERATOR_TOKEN');
      const data = await off.inject({ method: 'GET', url: '/dashboard/api/snapshot' });
      expect(data.statusCode).toBe(404);
      expect(data.json()).toMatchObject({
        code: 'not_found',
        detail: expect.stringContaining('OPERATOR_TOKEN'),
      });
      const login = await off.inject({ method: 'POST', url: '/dashboard/api/session', payload: { token } });
      expect(login.statusCode).toBe(404);
    } finally {
      await off.close();
    }
  });
});

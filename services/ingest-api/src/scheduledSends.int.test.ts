import { claimDueSends, releaseScheduledSends } from '@exactly/message-store';
import { inTransaction, runSql } from '@exactly/persistence';
import {
  email,
  startTestServer,
  storedFor,
  type TestAccount,
  type TestServer,
} from './testing/startTestServer.js';

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: assertions read whatever JSON the API answered
  json: any;
}

function caller(api: TestServer, who: TestAccount) {
  return async (method: string, path: string, body?: unknown, key?: string): Promise<Answer> => {
    const response = await fetch(`${api.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${who.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(key === undefined ? {} : { [api.server.engine.profile.header]: key }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      json: text === '' ? undefined : JSON.parse(text),
    };
  };
}

async function eventTypes(api: TestServer, messageId: string): Promise<string[]> {
  const { rows } = await runSql<{ type: string }>(
    api.orm.em.fork(),
    'SELECT type FROM message_events WHERE stream_id = $1 ORDER BY version',
    [messageId],
  );
  return rows.map((row) => row.type);
}

async function schedule(api: TestServer, messageId: string) {
  const { rows } = await runSql<{ state: string; due_at: Date; version: number }>(
    api.orm.em.fork(),
    'SELECT state, due_at, version FROM scheduled_sends WHERE message_id = $1',
    [messageId],
  );
  return rows[0];
}

/** What the dispatcher's scheduler does when a send falls due (here without waiting for it). */
async function releaseDue(api: TestServer): Promise<string[]> {
  return inTransaction(api.orm, async (em) => {
    const due = await claimDueSends(em, 100);
    await releaseScheduledSends(em, due, [], { topic: 'test.message-events', at: new Date() });
    return due.map((send) => send.messageId);
  });
}

async function makeDue(api: TestServer, messageId: string): Promise<void> {
  // Moves the time into the past directly, as if the clock had run on (tests only).
  await runSql(
    api.orm.em.fork(),
    "UPDATE scheduled_sends SET due_at = now() - interval '1 second' WHERE message_id = $1",
    [messageId],
  );
}

describe('a send with send_at', () => {
  let api: TestServer;
  beforeAll(async () => {
    api = await startTestServer({}, { listen: true });
  });
  afterAll(async () => api.close());

  it('is accepted as scheduled: status scheduled, its events, the schedule row, and no command queued', async () => {
    const who = await api.newAccount();
    const call = caller(api, who);
    const sendAt = inMinutes(60);
    const posted = await call('POST', '/v1/messages', { ...email(), send_at: sendAt }, 'k-1');
    expect(posted.status).toBe(202);
    expect(posted.json).toMatchObject({ status: 'scheduled', sendAt: new Date(sendAt).toISOString() });
    const stored = await storedFor(api.orm, who.accountId);
    expect(stored.messages).toEqual([expect.objectContaining({ status: 'scheduled', version: 2 })]);
    expect(await eventTypes(api, posted.json.id)).toEqual(['MessageAccepted', 'MessageScheduled']);
    // The two events go to the events topic; no send command until it is due.
    expect(stored.outbox.map((row) => row.payload.type)).toEqual(['MessageAccepted', 'MessageScheduled']);
    expect(stored.outbox.some((row) => row.payload.type === 'SendMessage')).toBe(false);
    expect(await schedule(api, posted.json.id)).toMatchObject({ state: 'pending', version: 1 });
    const read = await call('GET', `/v1/messages/${posted.json.id}`);
    expect(read.json).toMatchObject({ status: 'scheduled', sendAt: new Date(sendAt).toISOString() });
    // The command, when it comes, carries no send_at: the schedule is not part of the send.
    const { rows } = await runSql<{ content: Record<string, unknown> }>(
      api.orm.em.fork(),
      'SELECT content FROM messages WHERE id = $1',
      [posted.json.id],
    );
    expect(rows[0]?.content).toEqual(email());
  });

  it('in the past is sent now; more than 30 days ahead or without an offset is refused with 400', async () => {
    const who = await api.newAccount();
    const call = caller(api, who);
    const past = await call(
      'POST',
      '/v1/messages',
      { ...email(), send_at: '2020-01-01T00:00:00Z' },
      'k-past',
    );
    expect(past.status).toBe(202);
    expect(past.json.status).toBe('accepted');
    expect(past.json.sendAt).toBeUndefined();
    const stored = await storedFor(api.orm, who.accountId);
    expect(stored.outbox.filter((row) => row.payload.type === 'SendMessage')).toHaveLength(1);

    const far = await call('POST', '/v1/messages', { ...email(), send_at: inMinutes(31 * 24 * 60) }, 'k-far');
    expect(far.status).toBe(400);
    expect(far.json.detail).toContain('30 days');
    const naive = await call(
      'POST',
      '/v1/messages',
      { ...email(), send_at: '2030-01-01T09:00:00' },
      'k-naive',
    );
    expect(naive.status).toBe(400);
    expect(naive.json.errors[0].path).toBe('send_at');
    expect((await storedFor(api.orm, who.accountId)).messages).toHaveLength(1);
  });

  it('in a batch applies to every message, and one on a message applies to it alone', async () => {
    const who = await api.newAccount();
    const call = caller(api, who);
    const later = inMinutes(60);
    const sooner = inMinutes(5);
    const batch = await call(
      'POST',
      '/v1/messages/batch',
      { send_at: later, messages: [email(), { ...email({ to: 'bob@example.com' }), send_at: sooner }] },
      'k-batch',
    );
    expect(batch.status).toBe(202);
    expect(batch.json.messages.map((message: { sendAt: string }) => message.sendAt)).toEqual([
      new Date(later).toISOString(),
      new Date(sooner).toISOString(),
    ]);
    expect(
      (await storedFor(api.orm, who.accountId)).outbox.some((row) => row.payload.type === 'SendMessage'),
    ).toBe(false);
  });
});

describe.each(['default', 'txtly'] as const)('changing a scheduled send under the %s profile', (profile) => {
  let api: TestServer;
  beforeAll(async () => {
    api = await startTestServer({ IDEMPOTENCY_PROFILE: profile }, { listen: true });
  });
  afterAll(async () => api.close());

  async function scheduled(call: ReturnType<typeof caller>) {
    const posted = await call(
      'POST',
      '/v1/messages',
      { ...email(), send_at: inMinutes(60) },
      `k-${Math.random()}`,
    );
    expect(posted.status).toBe(202);
    return posted.json.id as string;
  }

  it('PATCH moves the time and changes the content, once per key where the profile honours keys on PATCH', async () => {
    const who = await api.newAccount();
    const call = caller(api, who);
    const id = await scheduled(call);
    const newTime = inMinutes(120);
    const first = await call('PATCH', `/v1/messages/${id}`, { send_at: newTime, subject: 'Changed' }, 'p-1');
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ id, status: 'scheduled', sendAt: new Date(newTime).toISOString() });
    expect(await eventTypes(api, id)).toEqual([
      'MessageAccepted',
      'MessageScheduled',
      'MessageChanged',
      'MessageRescheduled',
    ]);
    expect(new Date((await schedule(api, id))?.due_at ?? 0)).toEqual(new Date(newTime));

    // The same key again, with another time: txtly replays the first reply and changes nothing; the
    // default profile ignores keys on PATCH and applies the new value (an absolute time repeats safely).
    const other = inMinutes(180);
    const again = await call('PATCH', `/v1/messages/${id}`, { send_at: other }, 'p-1');
    expect(again.status).toBe(200);
    if (profile === 'txtly') {
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.json).toEqual(first.json);
      expect(new Date((await schedule(api, id))?.due_at ?? 0)).toEqual(new Date(newTime));
      expect(await eventTypes(api, id)).toHaveLength(4);
    } else {
      expect(again.headers.get('idempotent-replayed')).toBeNull();
      expect(again.json.sendAt).toBe(new Date(other).toISOString());
      expect(await eventTypes(api, id)).toHaveLength(5);
    }
    // The same value again (no key) changes nothing and appends nothing.
    const before = (await eventTypes(api, id)).length;
    const same = await call('PATCH', `/v1/messages/${id}`, { subject: 'Changed' });
    expect(same.status).toBe(200);
    expect(await eventTypes(api, id)).toHaveLength(before);
  });

  it('PUT replaces the send; a replay under txtly changes nothing more', async () => {
    const who = await api.newAccount();
    const call = caller(api, who);
    const id = await scheduled(call);
    const replacement = { channel: 'sms', to: '+15551234567', from: 'Acme', text: 'Moved to SMS' };
    const put = await call('PUT', `/v1/messages/${id}`, replacement, 'u-1');
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ id, status: 'scheduled', channel: 'sms', to: '+15551234567' });
    const retry = await call('PUT', `/v1/messages/${id}`, replacement, 'u-1');
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe(profile === 'txtly' ? 'true' : null);
    expect(await eventTypes(api, id)).toEqual(['MessageAccepted', 'MessageScheduled', 'MessageChanged']);
    const { rows } = await runSql<{ content: unknown; channel: string }>(
      api.orm.em.fork(),
      'SELECT content, channel FROM messages WHERE id = $1',
      [id],
    );
    expect(rows[0]).toEqual({ content: replacement, channel: 'sms' });
    const invalid = await call('PUT', `/v1/messages/${id}`, { channel: 'sms', to: 'nobody' }, 'u-2');
    expect(invalid.status).toBe(400);
  });

  it('cancel is terminal: a retry answers as the first did, and later changes get 409', async () => {
    const who = await api.newAccount();
    const call = caller(api, who);
    const id = await scheduled(call);
    if (profile === 'default') {
      // The default profile requires a key on every POST.
      const keyless = await call('POST', `/v1/messages/${id}/cancel`);
      expect(keyless.status).toBe(400);
      expect(keyless.json.code).toBe('idempotency_key_missing');
    }
    const cancelled = await call('POST', `/v1/messages/${id}/cancel`, undefined, 'c-1');
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ id, status: 'cancelled' });
    const keyState = await call('GET', '/v1/idempotency-keys/c-1');
    expect(keyState.json).toMatchObject({ state: 'completed', messageIds: [id] });
    const retry = await call('POST', `/v1/messages/${id}/cancel`, undefined, 'c-1');
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.json).toEqual(cancelled.json);
    const otherKey = await call('POST', `/v1/messages/${id}/cancel`, undefined, 'c-2');
    expect(otherKey.status).toBe(200);
    expect(otherKey.json.status).toBe('cancelled');
    expect(await eventTypes(api, id)).toEqual(['MessageAccepted', 'MessageScheduled', 'MessageCancelled']);
    expect(await schedule(api, id)).toMatchObject({ state: 'cancelled' });

    const patch = await call('PATCH', `/v1/messages/${id}`, { send_at: inMinutes(10) }, 'c-3');
    expect(patch.status).toBe(409);
    expect(patch.json.code).toBe('message_cancelled');
    // A cancelled send is never released.
    await makeDue(api, id);
    expect(await releaseDue(api)).not.toContain(id);
    expect((await call('GET', `/v1/messages/${id}`)).json.status).toBe('cancelled');
  });

  it('a change after the send started gets 409 send_started and changes nothing', async () => {
    const who = await api.newAccount();
    const call = caller(api, who);
    const id = await scheduled(call);
    const before = await call('PATCH', `/v1/messages/${id}`, { text: 'Changed in time' }, 'in-time');
    expect(before.status).toBe(200);
    await makeDue(api, id);
    expect(await releaseDue(api)).toContain(id);
    expect((await call('GET', `/v1/messages/${id}`)).json.status).toBe('accepted');
    // A retry of the change that succeeded: txtly replays its reply; the default profile keys no
    // PATCH, so the retry is a new change, and too late.
    const retried = await call('PATCH', `/v1/messages/${id}`, { text: 'Changed in time' }, 'in-time');
    if (profile === 'txtly') {
      expect(retried.status).toBe(200);
      expect(retried.headers.get('idempotent-replayed')).toBe('true');
      expect(retried.json).toEqual(before.json);
    } else {
      expect(retried.status).toBe(409);
    }
    for (const [method, path, body] of [
      ['PATCH', `/v1/messages/${id}`, { send_at: inMinutes(10) }],
      ['PUT', `/v1/messages/${id}`, email({ subject: 'Too late' })],
      ['POST', `/v1/messages/${id}/cancel`, undefined],
    ] as const) {
      const late = await call(method, path, body, `late-${method}`);
      expect(late.status).toBe(409);
      expect(late.headers.get('content-type')).toContain('application/problem+json');
      expect(late.json.code).toBe('send_started');
    }
    expect(await eventTypes(api, id)).toEqual([
      'MessageAccepted',
      'MessageScheduled',
      'MessageChanged',
      'ScheduledSendReleased',
    ]);
  });

  it('a change racing the release waits for its lock and then gets 409 send_started, never both', async () => {
    const who = await api.newAccount();
    const call = caller(api, who);
    const id = await scheduled(call);
    await makeDue(api, id);
    let answer: Promise<Answer> | undefined;
    await inTransaction(api.orm, async (em) => {
      // The scheduler has claimed the row (FOR UPDATE SKIP LOCKED) and not committed yet.
      const due = await claimDueSends(em, 1_000);
      expect(due.map((send) => send.messageId)).toContain(id);
      answer = call('PATCH', `/v1/messages/${id}`, { send_at: inMinutes(10) }, 'race-1');
      await new Promise((resolve) => setTimeout(resolve, 500));
      await releaseScheduledSends(em, due, [], { topic: 'test.message-events', at: new Date() });
    });
    const late = await (answer as Promise<Answer>);
    expect(late.status).toBe(409);
    expect(late.json.code).toBe('send_started');
    expect(await eventTypes(api, id)).toEqual([
      'MessageAccepted',
      'MessageScheduled',
      'ScheduledSendReleased',
    ]);
  });

  it('a message sent right away cannot be changed (409 not_scheduled); an unknown one is 404', async () => {
    const who = await api.newAccount();
    const call = caller(api, who);
    const now = await call('POST', '/v1/messages', email(), 'n-1');
    const patch = await call('PATCH', `/v1/messages/${now.json.id}`, { subject: 'x' });
    expect(patch.status).toBe(409);
    expect(patch.json.code).toBe('not_scheduled');
    const stranger = await api.newAccount();
    const id = await scheduled(call);
    const theirs = await caller(api, stranger)('POST', `/v1/messages/${id}/cancel`, undefined, 's-1');
    expect(theirs.status).toBe(404);
  });
});

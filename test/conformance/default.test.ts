// Conformance of the default profile: the IETF httpapi Idempotency-Key draft and Stripe, as the
// design and issue 3 state it ("Idempotency-Key, at most 255 printable ASCII characters, scope
// account + method + route, 24 h, missing key on a required route 400, other body 422, in flight
// 409 with Retry-After"). Real ingest API process, real PostgreSQL.

import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Caller,
  createAccount,
  createKey,
  holdAccount,
  IngestApi,
  serviceEntry,
} from '@exactly/testkit';
import { day, emailCommand, retentionOf } from './support/seedExamples.ts';

let api: IngestApi;
let caller: Caller;

beforeAll(async () => {
  [api, caller] = await Promise.all([IngestApi.start('default'), createAccount('Default customer')]);
});

afterAll(async () => {
  await api?.stop();
});

let sequence = 0;
const newKey = (label: string) => `${label}-${Date.now()}-${++sequence}`;

describe('the default profile (IETF Idempotency-Key draft, Stripe)', () => {
  it('"Idempotency-Key": a retry with the key and the same request replays the first reply, marked Idempotent-Replayed with the original request id and time', async () => {
    const key = newKey('order');
    const first = await api.post('/v1/messages', caller, emailCommand(), { 'Idempotency-Key': key });
    const retry = await api.post('/v1/messages', caller, emailCommand(), { 'Idempotency-Key': key });
    expect([retry.status, retry.text]).toEqual([202, first.text]);
    expect(retry.headers.get('location')).toBe(first.headers.get('location'));
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('original-request-id')).toBe(first.headers.get('x-request-id'));
    expect(retry.headers.get('original-request-time')).toEqual(expect.any(String));
  });

  it('"missing key on a required route 400", storing nothing', async () => {
    const who = await createAccount('No key (default)');
    const answer = await api.post('/v1/messages', who, emailCommand());
    expect([answer.status, answer.json.code]).toEqual([400, 'idempotency_key_missing']);
    expect(await api.messages(who)).toEqual([]);
  });

  it('"at most 255 printable ASCII characters"', async () => {
    const longest = newKey('k').padEnd(255, '~');
    expect(
      (await api.post('/v1/messages', caller, emailCommand(), { 'Idempotency-Key': longest })).status,
    ).toBe(202);
    for (const bad of [`${longest}x`, 'caf\u00e9']) {
      const answer = await api.post('/v1/messages', caller, emailCommand(), { 'Idempotency-Key': bad });
      expect([answer.status, answer.json.code]).toEqual([400, 'idempotency_key_invalid']);
    }
  });

  it('the draft\'s quoted form: "abc" is the key abc', async () => {
    const key = newKey('quoted');
    const bare = await api.post('/v1/messages', caller, emailCommand(), { 'Idempotency-Key': key });
    const quoted = await api.post('/v1/messages', caller, emailCommand(), { 'Idempotency-Key': `"${key}"` });
    expect(quoted.text).toBe(bare.text);
  });

  it('"two Idempotency-Key headers" are refused (400)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const sent = request(`${api.url}/v1/messages`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${caller.apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': ['a', 'b'],
        },
      });
      sent.on('response', (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      sent.on('error', reject);
      sent.end(JSON.stringify(emailCommand()));
    });
    expect(status).toBe(400);
  });

  it('"scope account + method + route": another endpoint, another account are other keys; another API key of the account is the same', async () => {
    const key = newKey('scope');
    const first = await api.post('/v1/messages', caller, emailCommand(), { 'Idempotency-Key': key });
    const batch = await api.post(
      '/v1/messages/batch',
      caller,
      { messages: [emailCommand()] },
      { 'Idempotency-Key': key },
    );
    expect(batch.headers.get('idempotent-replayed')).toBeNull();
    const stranger = await createAccount('Stranger (default)');
    expect(
      (await api.post('/v1/messages', stranger, emailCommand(), { 'Idempotency-Key': key })).json.id,
    ).not.toBe(first.json.id);
    const secondKey = await createKey(caller.accountId);
    expect((await api.post('/v1/messages', secondKey, emailCommand(), { 'Idempotency-Key': key })).text).toBe(
      first.text,
    );
  });

  it('"24 h"', async () => {
    const key = newKey('day');
    await api.post('/v1/messages', caller, emailCommand(), { 'Idempotency-Key': key });
    expect(retentionOf(await api.keyState(caller, key))).toBe(day);
  });

  it('"other body 422", storing nothing', async () => {
    const who = await createAccount('Mismatch (default)');
    const key = newKey('mismatch');
    await api.post('/v1/messages', who, emailCommand(), { 'Idempotency-Key': key });
    const other = await api.post('/v1/messages', who, emailCommand({ to: 'bob@example.com' }), {
      'Idempotency-Key': key,
    });
    expect([other.status, other.json.code]).toEqual([422, 'idempotency_key_reused']);
    expect(await api.messages(who)).toHaveLength(1);
  });

  it('"in flight 409 with Retry-After"; the key reads in_progress meanwhile, and the first request then completes', async () => {
    const who = await createAccount('In flight (default)');
    const key = newKey('in-flight');
    const hold = await holdAccount(who.accountId);
    const first = api.post('/v1/messages', who, emailCommand(), { 'Idempotency-Key': key });
    await api.waitForKeyState(who, key, 'in_progress');
    const retry = await api.post('/v1/messages', who, emailCommand(), { 'Idempotency-Key': key });
    expect([retry.status, retry.json.code, retry.headers.get('retry-after')]).toEqual([
      409,
      'idempotency_key_in_flight',
      '1',
    ]);
    expect((await api.keyState(who, key)).state).toBe('in_progress');
    await hold.release();
    expect((await first).status).toBe(202);
    const later = await api.post('/v1/messages', who, emailCommand(), { 'Idempotency-Key': key });
    expect(later.headers.get('idempotent-replayed')).toBe('true');
  });

  it("the operator's CLI made these accounts, and a revoked key gets 401 (within AUTH_CACHE_TTL, 2 s by default)", async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const who = await createAccount('Revoked (default)');
    expect((await api.get('/v1/messages', who)).status).toBe(200);
    await promisify(execFile)(process.execPath, [serviceEntry('cli'), 'keys', 'revoke', who.keyId], {
      env: { ...process.env },
    });
    await sleep(2_100);
    const refused = await api.get('/v1/messages', who);
    expect([refused.status, refused.json.code]).toEqual([401, 'unauthenticated']);
  });
});

import { FakeProvider, type FakeProviderOptions } from './index.js';

const send = (url: string, key: string, body = '{"to":"a"}') =>
  fetch(url, {
    method: 'POST',
    headers: { 'idempotency-key': key, 'content-type': 'application/json' },
    body,
  });

/** A provider listening for the tests of one describe (its `url` is set once its beforeAll ran). */
function listening(options: FakeProviderOptions = {}) {
  const provider = new FakeProvider(options);
  beforeAll(async () => {
    await provider.listen();
  });
  afterAll(async () => {
    await provider.close();
  });
  return provider;
}

describe('the fake provider that honours keys', () => {
  const provider = listening({ honoursKeys: true });

  it('sends once per key and replays the first answer for the same key', async () => {
    const first = await send(provider.url, 'k1');
    const again = await send(provider.url, 'k1');
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(await first.json());
    expect(provider.sentKeys).toEqual(new Set(['k1']));
    expect(provider.callsPerKey().get('k1')).toBe(2);
  });

  it('fails the next calls on demand, then recovers', async () => {
    provider.failWith({ kind: 'fail-next', count: 2 });
    expect((await send(provider.url, 'k2')).status).toBe(500);
    expect((await send(provider.url, 'k2')).status).toBe(500);
    expect((await send(provider.url, 'k2')).status).toBe(201);
    expect(provider.calls.filter((call) => call.key === 'k2').map((call) => call.outcome)).toEqual([
      'failed',
      'failed',
      'sent',
    ]);
  });

  it('refuses a call without an idempotency key', async () => {
    const response = await fetch(provider.url, { method: 'POST', body: '{}' });
    expect(response.status).toBe(400);
  });
});

describe('the fake provider by default (a carrier that ignores keys)', () => {
  const provider = listening();

  it('sends again for a repeated key, and logs each call with its key so the repeat shows', async () => {
    expect((await send(provider.url, 'k1')).status).toBe(201);
    expect((await send(provider.url, 'k1')).status).toBe(201);
    expect(provider.sends.get('k1')).toBe(2);
    expect(provider.repeatedKeys()).toEqual(['k1']);
    expect(provider.calls.map((call) => [call.key, call.outcome])).toEqual([
      ['k1', 'sent'],
      ['k1', 'sent'],
    ]);
  });

  it('fails with the status asked for, and counts a failed call as a call, not a send', async () => {
    provider.failNext(1, 422);
    expect((await send(provider.url, 'k2')).status).toBe(422);
    expect(provider.requests.get('k2')).toBe(1);
    expect(provider.sends.has('k2')).toBe(false);
  });

  it('counts a delayed send when it arrives, before it answers', async () => {
    provider.stall(300);
    const answer = send(provider.url, 'k3');
    for (let waited = 0; !provider.sends.has('k3') && waited < 5_000; waited += 20)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(provider.sends.get('k3')).toBe(1);
    expect((await answer).status).toBe(201);
    provider.stall(0);
  });

  it('notes a key that is not the message id of the body', async () => {
    await send(provider.url, 'k4', '{"messageId":"msg_other"}');
    expect(provider.keyMismatches).toEqual(['k4']);
  });
});

describe('the fake provider between phases', () => {
  const provider = listening({ honoursKeys: true });

  it('notes the account the body names, and forgets everything on reset', async () => {
    await send(provider.url, 'k1', '{"messageId":"k1","accountId":"acc_1"}');
    expect(provider.calls.map((call) => call.accountId)).toEqual(['acc_1']);
    provider.reset();
    expect([provider.calls, provider.sentKeys, provider.callsPerKey()]).toEqual([[], new Set(), new Map()]);
    expect((await send(provider.url, 'k1')).status).toBe(201);
  });
});

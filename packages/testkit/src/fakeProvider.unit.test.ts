import { FakeProvider } from './index.js';

const send = (url: string, key: string, body = '{"to":"a"}') =>
  fetch(url, {
    method: 'POST',
    headers: { 'idempotency-key': key, 'content-type': 'application/json' },
    body,
  });

describe('the fake provider', () => {
  const provider = new FakeProvider();
  let url = '';

  beforeAll(async () => {
    url = await provider.listen();
  });

  afterAll(async () => {
    await provider.close();
  });

  it('sends once per key and replays the first answer for the same key', async () => {
    const first = await send(url, 'k1');
    const again = await send(url, 'k1');
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(await first.json());
    expect(provider.sentKeys).toEqual(new Set(['k1']));
    expect(provider.callsPerKey().get('k1')).toBe(2);
  });

  it('fails the next calls on demand, then recovers', async () => {
    provider.failWith({ kind: 'fail-next', count: 2 });
    expect((await send(url, 'k2')).status).toBe(500);
    expect((await send(url, 'k2')).status).toBe(500);
    expect((await send(url, 'k2')).status).toBe(201);
    expect(provider.calls.filter((call) => call.key === 'k2').map((call) => call.outcome)).toEqual([
      'failed',
      'failed',
      'sent',
    ]);
  });

  it('refuses a call without an idempotency key', async () => {
    const response = await fetch(url, { method: 'POST', body: '{}' });
    expect(response.status).toBe(400);
  });
});

import { createAccount, IngestApi } from '@exactly/testkit';
import { Webhook } from 'standardwebhooks';
import { createClient, verifyWebhook, WebhookSignatureError } from './index.js';

describe('webhook endpoints through the SDK against the real ingest API', () => {
  let api: IngestApi;

  beforeAll(async () => {
    api = await IngestApi.start('truedy', { WEBHOOKS_ALLOW_PRIVATE_URLS: 'true' });
  });

  afterAll(async () => {
    await api.stop();
  });

  it('creates once per key, lists, updates, disables, enables and rotates the secret', async () => {
    const caller = await createAccount(`sdk-webhooks-${Date.now()}`);
    const client = createClient({ baseUrl: api.url, apiKey: caller.apiKey });
    const first = await client.webhookEndpoints.create(
      { url: 'http://127.0.0.1:9/hook' },
      { idempotencyKey: 'wh-1' },
    );
    const again = await client.webhookEndpoints.create(
      { url: 'http://127.0.0.1:9/hook' },
      { idempotencyKey: 'wh-1' },
    );
    expect(again.replayed).toBe(true);
    expect(again.endpoint.id).toBe(first.endpoint.id);
    expect(first.endpoint.secret).toMatch(/^whsec_/);
    expect((await client.webhookEndpoints.list()).map((endpoint) => endpoint.id)).toEqual([
      first.endpoint.id,
    ]);
    const id = first.endpoint.id;
    expect(await client.webhookEndpoints.update(id, { eventTypes: ['MessageFailed'] })).toMatchObject({
      eventTypes: ['MessageFailed'],
    });
    expect(await client.webhookEndpoints.disable(id, 'paused')).toMatchObject({ disabled: true });
    expect(await client.webhookEndpoints.enable(id)).toMatchObject({ disabled: false });
    const rotated = await client.webhookEndpoints.rotateSecret(id);
    expect(rotated.secret).not.toBe(first.endpoint.secret);
    expect(await client.webhookEndpoints.replay(id, new Date(0))).toMatchObject({
      endpointId: id,
      deliveries: 0,
    });
    expect(await client.webhookEndpoints.deliveries(id)).toEqual([]);
  });
});

describe('verifyWebhook', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const payload = JSON.stringify({
    type: 'MessageAccepted',
    timestamp: new Date().toISOString(),
    data: { messageId: 'msg_1' },
  });
  const signed = (at: Date, key = secret) => ({
    'webhook-id': 'whd_1',
    'webhook-timestamp': String(Math.floor(at.getTime() / 1_000)),
    'webhook-signature': new Webhook(key).sign('whd_1', at, payload),
  });

  it('returns the event of a delivery signed with the secret', () => {
    expect(verifyWebhook(payload, signed(new Date()), secret)).toMatchObject({ type: 'MessageAccepted' });
    expect(
      verifyWebhook(new TextEncoder().encode(payload), new Headers(signed(new Date())), secret),
    ).toMatchObject({
      data: { messageId: 'msg_1' },
    });
  });

  it('refuses another secret, a changed body and an old timestamp', () => {
    expect(() =>
      verifyWebhook(payload, signed(new Date(), 'whsec_aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ='), secret),
    ).toThrow(WebhookSignatureError);
    expect(() => verifyWebhook(`${payload} `, signed(new Date()), secret)).toThrow(WebhookSignatureError);
    expect(() => verifyWebhook(payload, signed(new Date(Date.now() - 3_600_000)), secret)).toThrow(
      WebhookSignatureError,
    );
  });
});

// End to end: message events reach a webhook endpoint registered through the API, through the
// relay, Kafka and the dispatcher's webhook consumer, each a real process; the receiver verifies
// every signature with the SDK's verifyWebhook and fails the first deliveries.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, verifyWebhook } from '@exactly/sdk';
import { createAccount, eventually, Pipeline } from '@exactly/testkit';

describe('a webhook endpoint registered through the API', () => {
  const pipeline = new Pipeline({
    prefix: 'e2e-webhooks',
    env: {
      ingest: { WEBHOOKS_ALLOW_PRIVATE_URLS: 'true' },
      dispatcher: {
        WEBHOOKS_ALLOW_PRIVATE_URLS: 'true',
        WEBHOOK_POLL_INTERVAL: '100ms',
        WEBHOOK_RETRY_BASE_DELAY: '100ms',
        WEBHOOK_RETRY_MAX_DELAY: '500ms',
        WEBHOOK_TIMEOUT: '20s',
        WEBHOOK_LEASE: '60s',
      },
    },
  });
  let secret = '';
  let failFirst = 4;
  const requests: { id: string; status: number; type: string; messageId: string }[] = [];
  const processed = new Map<string, number>();
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
      );
      let status = 200;
      let event: { type: string; data: { messageId: string } } | undefined;
      try {
        event = verifyWebhook(Buffer.concat(chunks), headers, secret);
      } catch {
        status = 401;
      }
      if (status === 200 && failFirst > 0) {
        failFirst -= 1;
        status = 500;
      }
      const id = headers['webhook-id'] ?? '';
      if (status === 200) processed.set(id, (processed.get(id) ?? 0) + 1);
      requests.push({ id, status, type: event?.type ?? '', messageId: event?.data.messageId ?? '' });
      response.writeHead(status).end();
    });
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    await pipeline.start();
  }, 180_000);

  afterAll(async () => {
    await pipeline.stop();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('gets each message event once by webhook-id, signed, after failing the first deliveries', async () => {
    const caller = await createAccount(`e2e-webhooks-${Date.now()}`);
    const client = createClient({ baseUrl: pipeline.baseUrl, apiKey: caller.apiKey });
    const { port } = receiver.address() as AddressInfo;
    const { endpoint } = await client.webhookEndpoints.create({ url: `http://127.0.0.1:${port}/hook` });
    secret = endpoint.secret;

    const sent = [];
    for (let i = 0; i < 5; i++) {
      sent.push(
        (await client.messages.send({ channel: 'sms', to: '+15551234567', from: 'Acme', text: `code ${i}` }))
          .message.id,
      );
    }
    const expected = ['MessageAccepted', 'DispatchRequested', 'ProviderAccepted'];
    await eventually(
      'every event of every message processed',
      () => processed.size === sent.length * expected.length,
      90_000,
    );

    expect(requests.filter((request) => request.status === 401)).toEqual([]);
    expect(requests.filter((request) => request.status === 500)).toHaveLength(4);
    expect(new Set(requests.map((request) => request.id)).size).toBe(sent.length * expected.length);
    expect([...processed.values()].every((times) => times === 1)).toBe(true);
    for (const id of sent) {
      const types = requests
        .filter((request) => request.status === 200 && request.messageId === id)
        .map((r) => r.type);
      expect(types.sort()).toEqual([...expected].sort());
    }
    // The receiver counts a delivery before its sender records the outcome; the streak follows
    // the order the outcomes commit in, so the last success may still be on its way.
    await eventually(
      'the endpoint healthy again',
      async () => (await client.webhookEndpoints.get(endpoint.id)).health.failingStreak === 0,
      30_000,
    );
    const health = await client.webhookEndpoints.get(endpoint.id);
    expect(health).toMatchObject({ disabled: false, health: { failingStreak: 0 } });
    expect(health.health.lastFailureAt).not.toBeNull();
  }, 180_000);
});

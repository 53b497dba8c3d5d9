// End to end with a template: the text a provider receives is the one rendered when the send was
// accepted, even when the template got a new version before the send was dispatched. The new
// version changes later sends only, and a retry of the accepted send (its replay) adds no call.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@exactly/sdk';
import { Pipeline } from '../faults/harness/pipeline.ts';
import { createScenarioDatabase } from '../faults/harness/runScenario.ts';

/** A provider that records what it is asked to send (the http provider posts the message as JSON). */
async function recordingProvider() {
  const received: { messageId: string; text: string }[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messageId: string; text: string };
      received.push({ messageId: body.messageId, text: body.text });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ id: `prov-${received.length}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    received,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/send`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('a send from a template, through the whole pipeline', () => {
  it('reaches the provider with the text rendered at acceptance, even when a new version came before it was dispatched', async () => {
    const provider = await recordingProvider();
    const database = await createScenarioDatabase(process.env.DATABASE_URL ?? '', 'e2e-templates');
    const pipeline = new Pipeline({
      databaseUrl: database.url,
      kafkaBrokers: (process.env.KAFKA_BROKERS ?? '').split(','),
      relays: 1,
      dispatchers: 1,
      providerUrl: provider.url,
      prefix: 'e2e-templates',
    });
    try {
      await pipeline.start();
      const [dispatcher] = pipeline.dispatchers;
      if (dispatcher === undefined) throw new Error('no dispatcher');
      // Nothing is dispatched until every request below is answered.
      await dispatcher.stop();
      const caller = await pipeline.createAccount('e2e-templates');
      const client = createClient({ baseUrl: pipeline.baseUrl, apiKey: caller.apiKey });
      const { template } = await client.templates.create({
        name: 'code',
        channel: 'sms',
        text: 'Hi {{name}}, your code is {{code}}',
      });
      const send = {
        to: '+15551234567',
        from: 'Acme',
        template: { id: template.id },
        variables: { name: 'Ada', code: 1234 },
      };
      const first = await client.messages.send(send, { idempotencyKey: 'e2e-1' });
      await client.templates.createVersion(template.id, { text: 'v2: {{name}} / {{code}}' });
      const retried = await client.messages.send(send, { idempotencyKey: 'e2e-1' });
      expect(retried).toMatchObject({ replayed: true, message: { id: first.message.id } });
      const second = await client.messages.send(send, { idempotencyKey: 'e2e-2' });

      await pipeline.startMember(dispatcher);
      for (let i = 0; i < 300 && provider.received.length < 2; i++) await sleep(100);
      // A straggler (a third call) would show within a second.
      await sleep(1_000);
      const textOf = new Map(provider.received.map((call) => [call.messageId, call.text]));
      expect(provider.received).toHaveLength(2);
      expect(textOf.get(first.message.id)).toBe('Hi Ada, your code is 1234');
      expect(textOf.get(second.message.id)).toBe('v2: Ada / 1234');
    } finally {
      await pipeline.stop();
      await provider.close();
      await database.drop();
    }
  }, 240_000);
});

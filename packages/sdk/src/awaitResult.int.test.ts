import { type Caller, createAccount, Pipeline } from '@exactly/testkit';
import { createClient } from './index.js';

// The whole pipeline as processes (ingest API, relay, dispatcher with the log provider).
describe('awaitResult against a real pipeline', () => {
  let pipeline: Pipeline;
  let caller: Caller;

  beforeAll(async () => {
    pipeline = new Pipeline({ prefix: 'sdk-await' });
    await pipeline.start();
    caller = await createAccount(`sdk-await-${Date.now()}`);
  }, 120_000);

  afterAll(async () => {
    await pipeline?.stop();
  }, 60_000);

  it('returns once the message is sent, with its status and done', async () => {
    const client = createClient({ baseUrl: pipeline.baseUrl, apiKey: caller.apiKey });
    const { message, idempotencyKey } = await client.messages.send({
      channel: 'sms',
      to: '+15551234567',
      from: 'ACME',
      text: 'Your code is 1234',
    });
    const result = await client.idempotencyKeys.awaitResult(idempotencyKey, {
      waitMs: 45_000,
      requestWaitMs: 5_000,
    });
    expect(result).toMatchObject({
      state: 'completed',
      messages: [{ id: message.id, status: 'sent' }],
      done: true,
    });
  }, 60_000);

  it('answers an unknown key at once', async () => {
    const client = createClient({ baseUrl: pipeline.baseUrl, apiKey: caller.apiKey });
    expect(await client.idempotencyKeys.awaitResult('never-used')).toMatchObject({
      state: 'unknown',
      done: false,
    });
  });
});

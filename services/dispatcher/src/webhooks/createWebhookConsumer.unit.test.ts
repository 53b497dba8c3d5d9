import { webhookFetchOptions } from './createWebhookConsumer.js';

describe("the webhook consumer's fetches", () => {
  it('wait for the linger unless 1 MiB of events gathers first', () => {
    expect(webhookFetchOptions({ lingerMs: 250, maxWaitMs: 1_000 })).toEqual({
      maxWaitMs: 250,
      minBytes: 1024 * 1024,
    });
  });

  it('return as soon as there are events when the linger is 0, waiting for the first as the consumers do', () => {
    expect(webhookFetchOptions({ lingerMs: 0, maxWaitMs: 1_000 })).toEqual({ maxWaitMs: 1_000 });
  });
});

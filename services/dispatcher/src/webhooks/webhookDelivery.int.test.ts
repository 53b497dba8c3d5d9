import { randomUUID } from 'node:crypto';
import { type Orm, openOrm, runSql } from '@exactly/persistence';
import { createTestTopics, eventually } from '@exactly/testkit';
import { insertWebhookEndpoints, newWebhookSecret, replayWebhookDeliveries } from '@exactly/webhooks';
import { seedAccount } from '../testing/seedCommands.js';
import {
  databaseUrl,
  dispatcherTestKafka,
  type RunningDispatcher,
  startTestDispatcher,
  testEnvironment,
} from '../testing/testDispatcher.js';
import { WebhookReceiver } from '../testing/webhookReceiver.js';

const { admin, producer, topicForThisTest } = dispatcherTestKafka();
let orm: Orm;
const running: RunningDispatcher[] = [];
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  orm = await openOrm({ databaseUrl, poolSize: 12 });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((dispatcher) => dispatcher.stop()));
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

afterAll(async () => {
  await orm.close();
});

/**
 * Disables every endpoint in this workspace's database but `endpointId`: the other tests' and
 * other files' (queueEventBatch's, say) leftovers, whose due deliveries the sender would claim.
 */
async function disableEndpointsBut(endpointId: string): Promise<void> {
  await runSql(
    orm.em.fork(),
    'UPDATE webhook_endpoints SET disabled_at = now() WHERE id <> $1 AND disabled_at IS NULL',
    [endpointId],
  );
}

/** A dispatcher delivering webhooks from a topic of this test's own, with quick retries. */
async function setUp(extra: Record<string, string> = {}) {
  const { topic, group } = await topicForThisTest(1);
  const eventsTopic = `${topic}-events`;
  await createTestTopics(admin, [{ topic: eventsTopic, numPartitions: 3 }]);
  const accountId = await seedAccount(orm);
  const secret = newWebhookSecret();
  const receiver = await new WebhookReceiver(secret).start();
  receivers.push(receiver);
  const endpointId = `whe_${randomUUID().replaceAll('-', '')}`;
  await insertWebhookEndpoints(orm.em.fork(), [
    { id: endpointId, accountId, url: receiver.url, description: null, eventTypes: null, secret },
  ]);
  const env = testEnvironment(topic, group, {
    WEBHOOKS_ENABLED: 'true',
    WEBHOOKS_CONSUMER_GROUP: `${group}-webhooks`,
    WEBHOOKS_ALLOW_PRIVATE_URLS: 'true',
    WEBHOOK_POLL_INTERVAL: '100ms',
    WEBHOOK_RETRY_BASE_DELAY: '50ms',
    WEBHOOK_RETRY_MAX_DELAY: '200ms',
    // Generous: a slow, loaded machine must not resend an attempt that is still running.
    WEBHOOK_TIMEOUT: '20s',
    WEBHOOK_LEASE: '60s',
    ...extra,
  });
  const start = async () => {
    const dispatcher = await startTestDispatcher(orm, env);
    running.push(dispatcher);
    return dispatcher;
  };
  return { eventsTopic, accountId, endpointId, receiver, start };
}

/** Publishes message events as the relay would, `copies` times each (a redelivery, a replayed topic). */
async function publishEvents(
  eventsTopic: string,
  accountId: string,
  count: number,
  { at = new Date(), copies = 1 }: { at?: Date; copies?: number } = {},
) {
  const events = Array.from({ length: count }, (_, index) => ({
    type: index % 2 === 0 ? 'MessageAccepted' : 'ProviderAccepted',
    data: { index },
    metadata: {
      streamId: `msg_${randomUUID().replaceAll('-', '')}`,
      version: 1,
      accountId,
      at: at.toISOString(),
    },
  }));
  for (let copy = 0; copy < copies; copy++) {
    await producer.send({
      topic: eventsTopic,
      messages: events.map((event) => ({ key: event.metadata.streamId, value: JSON.stringify(event) })),
    });
  }
  return events;
}

const deliveryStates = async (endpointId: string) =>
  (
    await runSql<{ state: string; count: number }>(
      orm.em.fork(),
      'SELECT state, count(*)::int AS count FROM webhook_deliveries WHERE endpoint_id = $1 GROUP BY state',
      [endpointId],
    )
  ).rows;

describe('a receiver that fails the first deliveries, then recovers', () => {
  it('gets every event, signed and verified, processed once per webhook-id, retried with the same id', async () => {
    const { eventsTopic, accountId, endpointId, receiver, start } = await setUp();
    receiver.failFirst = 6;
    // Each event record twice: the consumer's (event, endpoint) bookkeeping drops the copy.
    const events = await publishEvents(eventsTopic, accountId, 10, { copies: 2 });
    await start();
    await eventually('every event processed', () => receiver.processed.size === events.length, 60_000);
    await eventually('every delivery recorded delivered', async () => {
      const states = await deliveryStates(endpointId);
      return states.length === 1 && states[0]?.state === 'delivered' && states[0].count === 10;
    });

    expect(receiver.received.every((delivery) => delivery.verified)).toBe(true);
    expect(receiver.received.filter((delivery) => delivery.status === 500)).toHaveLength(6);
    const ids = new Set(receiver.received.map((delivery) => delivery.id));
    expect(ids.size).toBe(events.length);
    expect(receiver.received.length).toBe(events.length + 6);
    expect([...receiver.processed.values()].every((times) => times === 1)).toBe(true);
    const seen = receiver.received
      .filter((delivery) => delivery.status === 200)
      .map((delivery) => delivery.body.data.messageId);
    expect(new Set(seen)).toEqual(new Set(events.map((event) => event.metadata.streamId)));
    // A failed id came back with the same id: the retried ids are among the processed ones.
    for (const failed of receiver.received.filter((delivery) => delivery.status === 500)) {
      expect(receiver.processed.get(failed.id)).toBe(1);
    }
    const [health] = (
      await runSql<{ failing_streak: number; last_success_at: Date | null; last_failure_at: Date | null }>(
        orm.em.fork(),
        'SELECT failing_streak, last_success_at, last_failure_at FROM webhook_endpoints WHERE id = $1',
        [endpointId],
      )
    ).rows;
    expect(health?.failing_streak).toBe(0);
    expect(health?.last_success_at).not.toBeNull();
    expect(health?.last_failure_at).not.toBeNull();
  }, 120_000);
});

describe('an endpoint that fails for the whole retry period', () => {
  it('is disabled, with an event saying so, and gets nothing more', async () => {
    const { eventsTopic, accountId, endpointId, receiver, start } = await setUp({
      WEBHOOK_RETRY_PERIOD: '1500ms',
    });
    receiver.failing = true;
    await publishEvents(eventsTopic, accountId, 2);
    await start();
    await eventually(
      'the endpoint disabled',
      async () => {
        const { rows } = await runSql<{ disabled_at: Date | null }>(
          orm.em.fork(),
          'SELECT disabled_at FROM webhook_endpoints WHERE id = $1',
          [endpointId],
        );
        return rows[0]?.disabled_at !== null;
      },
      60_000,
    );
    const { rows: events } = await runSql<{ type: string; data: { by: string } }>(
      orm.em.fork(),
      'SELECT type, data FROM webhook_endpoint_events WHERE endpoint_id = $1',
      [endpointId],
    );
    expect(events).toEqual([
      { type: 'WebhookEndpointDisabled', data: expect.objectContaining({ by: 'delivery' }) },
    ]);
    const calls = receiver.received.length;
    await publishEvents(eventsTopic, accountId, 2);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(receiver.received.length).toBe(calls);
    expect(receiver.received.every((delivery) => delivery.status === 500)).toBe(true);
  }, 120_000);
});

describe('an endpoint on a loopback address while the operator setting is off', () => {
  it('is never called: the check at delivery time refuses the address', async () => {
    const { eventsTopic, accountId, endpointId, receiver, start } = await setUp({
      WEBHOOKS_ALLOW_PRIVATE_URLS: 'false',
    });
    await publishEvents(eventsTopic, accountId, 1);
    await start();
    await eventually('an attempt refused', async () => {
      const { rows } = await runSql<{ last_error: string | null }>(
        orm.em.fork(),
        'SELECT last_error FROM webhook_deliveries WHERE endpoint_id = $1',
        [endpointId],
      );
      return rows[0]?.last_error?.includes('loopback') ?? false;
    });
    expect(receiver.received).toEqual([]);
  }, 60_000);
});

describe("replaying an endpoint's deliveries from a time", () => {
  it('sends the events at or after that time again, with the same webhook-ids, and no others', async () => {
    const { eventsTopic, accountId, endpointId, receiver, start } = await setUp();
    // The sender claims every due delivery: earlier tests' endpoints still being retried would
    // take its turns (on a loaded machine, past this test's wait).
    await disableEndpointsBut(endpointId);
    const old = await publishEvents(eventsTopic, accountId, 3, { at: new Date('2026-12-01T00:00:00Z') });
    const recent = await publishEvents(eventsTopic, accountId, 4, { at: new Date('2026-12-03T00:00:00Z') });
    await start();
    await eventually(
      'every event delivered',
      () => receiver.processed.size === old.length + recent.length,
      60_000,
    );
    const firstIds = new Map(
      receiver.received.map((delivery) => [delivery.body.data.messageId, delivery.id]),
    );
    const before = receiver.received.length;

    expect(await replayWebhookDeliveries(orm, endpointId, new Date('2026-12-02T00:00:00Z'))).toBe(
      recent.length,
    );
    await eventually(
      'the replay delivered',
      () => receiver.received.length === before + recent.length,
      60_000,
    );

    const replayed = receiver.received.slice(before);
    expect(new Set(replayed.map((delivery) => delivery.body.data.messageId))).toEqual(
      new Set(recent.map((event) => event.metadata.streamId)),
    );
    for (const delivery of replayed) expect(delivery.id).toBe(firstIds.get(delivery.body.data.messageId));
    expect(replayed.every((delivery) => delivery.verified)).toBe(true);
  }, 120_000);
});

describe('the webhook metrics over a delivery that fails once, then succeeds', () => {
  it('count each attempt by outcome, time it, and show the delivery in the retry backlog while it waits', async () => {
    // A long first backoff (2.5 to 5 s with equal jitter): the wait for the retry is seen for sure.
    const { eventsTopic, accountId, endpointId, receiver, start } = await setUp({
      WEBHOOK_RETRY_BASE_DELAY: '5s',
      WEBHOOK_RETRY_MAX_DELAY: '5s',
    });
    // The sender claims every due delivery: earlier tests' unfinished ones would be counted too.
    await disableEndpointsBut(endpointId);
    receiver.failFirst = 1;
    await publishEvents(eventsTopic, accountId, 1);
    const { registry } = await start();
    /** A sample of a metric on this dispatcher's registry (a histogram's `_count` by `sample`). */
    const value = async (name: string, labels: Record<string, string> = {}, sample = name) => {
      const metric = await registry.getSingleMetric(name)?.get();
      const found = metric?.values.find(
        (candidate) =>
          ((candidate as { metricName?: string }).metricName ?? name) === sample &&
          Object.entries(labels).every(([key, label]) => candidate.labels[key] === label),
      );
      return found?.value ?? 0;
    };
    const seconds = 'dispatcher_webhook_attempt_seconds';

    await eventually(
      'the failed attempt counted',
      async () => (await value('dispatcher_webhook_attempts_total', { outcome: 'retried' })) === 1,
      60_000,
    );
    // The attempt is counted before its outcome commits, and the backlog is read from the
    // database: it shows the delivery a moment later. Other tests share the database: at least
    // this delivery waits for its retry, 2.5 s at least from that commit, and a look every 50 ms
    // sees it (the limit only bounds a commit that is slow to come).
    await eventually(
      'the delivery in the retry backlog',
      async () => (await value('dispatcher_webhook_retry_backlog')) >= 1,
      10_000,
    );
    expect(await value('dispatcher_webhook_attempts_total', { outcome: 'delivered' })).toBe(0);

    await eventually('the retry delivered', () => receiver.processed.size === 1, 60_000);
    await eventually(
      'the delivery counted',
      async () => (await value('dispatcher_webhook_attempts_total', { outcome: 'delivered' })) === 1,
    );
    expect(await value('dispatcher_webhook_attempts_total', { outcome: 'retried' })).toBe(1);
    expect(await value('dispatcher_webhook_attempts_total', { outcome: 'failed' })).toBe(0);
    expect(await value(seconds, { outcome: 'retried' }, `${seconds}_count`)).toBe(1);
    expect(await value(seconds, { outcome: 'delivered' }, `${seconds}_count`)).toBe(1);
  }, 120_000);
});

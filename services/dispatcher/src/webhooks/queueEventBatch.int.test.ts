import { randomUUID } from 'node:crypto';
import { type Orm, openOrm, runSql } from '@exactly/persistence';
import { insertWebhookEndpoints, newWebhookSecret, setWebhookEndpointDisabled } from '@exactly/webhooks';
import { seedAccount } from '../testing/seedCommands.js';
import { databaseUrl } from '../testing/testDispatcher.js';
import { type EventBatchContext, type EventRecord, queueEventBatch } from './queueEventBatch.js';

let orm: Orm;

beforeAll(async () => {
  orm = await openOrm({ databaseUrl, poolSize: 2 });
});

afterAll(async () => {
  await orm.close();
});

/** A partition of its own: no other test stores an offset there. */
function partitionOfThisTest(): EventBatchContext {
  return {
    groupId: `webhooks-${randomUUID()}`,
    topic: 'message-events',
    partition: 0,
    topicId: `topic-${randomUUID()}`,
    transactionIdleTimeoutMs: 10_000,
  };
}

/** Message events at consecutive offsets from `first`, alternating between the accounts given. */
function eventRecords(accountIds: readonly string[], first: number, count: number): EventRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    offset: String(first + index),
    value: Buffer.from(
      JSON.stringify({
        type: 'MessageAccepted',
        data: { index },
        metadata: {
          streamId: `msg_${randomUUID().replaceAll('-', '')}`,
          version: 1,
          accountId: accountIds[index % accountIds.length],
          at: new Date().toISOString(),
        },
      }),
    ),
  }));
}

async function addEndpoint(accountId: string): Promise<string> {
  const id = `whe_${randomUUID().replaceAll('-', '')}`;
  await insertWebhookEndpoints(orm.em.fork(), [
    {
      id,
      accountId,
      url: 'https://example.com/hook',
      description: null,
      eventTypes: null,
      secret: newWebhookSecret(),
    },
  ]);
  return id;
}

const storedOffset = async (context: EventBatchContext) =>
  (
    await runSql<{ next_offset: string }>(
      orm.em.fork(),
      'SELECT next_offset FROM consumer_offsets WHERE group_id = $1 AND topic = $2 AND partition = $3',
      [context.groupId, context.topic, context.partition],
    )
  ).rows[0]?.next_offset;

const deliveriesOf = async (endpointId: string) =>
  (
    await runSql<{ stream_id: string }>(
      orm.em.fork(),
      'SELECT stream_id FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY stream_id',
      [endpointId],
    )
  ).rows.map((row) => row.stream_id);

const streamsOf = (records: readonly EventRecord[], accountId: string) =>
  records
    .map((record) => JSON.parse(String(record.value)))
    .filter((event) => event.metadata.accountId === accountId)
    .map((event) => event.metadata.streamId as string)
    .sort();

describe('a batch whose accounts have no enabled endpoint', () => {
  it('stores the next offset and queues nothing, and replayed after an endpoint appears, still nothing', async () => {
    const accountId = await seedAccount(orm);
    const context = partitionOfThisTest();
    const records = eventRecords([accountId], 0, 10);

    const first = await queueEventBatch(orm, context, records);
    expect(first).toEqual({ nextOffset: 10n, queued: 0, unreadable: 0 });
    expect(await storedOffset(context)).toBe('10');

    // The topic replayed after the account added an endpoint: these events happened before it.
    const endpointId = await addEndpoint(accountId);
    const replayed = await queueEventBatch(orm, context, records);
    expect(replayed.queued).toBe(0);
    expect(await deliveriesOf(endpointId)).toEqual([]);
    expect(await storedOffset(context)).toBe('10');
  });

  it('counts an endpoint that is disabled as none, and never lowers the stored offset', async () => {
    const accountId = await seedAccount(orm);
    const endpointId = await addEndpoint(accountId);
    await setWebhookEndpointDisabled(orm, accountId, endpointId, { reason: 'test', by: 'account' });
    const context = partitionOfThisTest();

    await queueEventBatch(orm, context, eventRecords([accountId], 100, 5));
    expect(await storedOffset(context)).toBe('105');
    // An older batch (a member that lost the partition, still running) comes in late.
    const late = await queueEventBatch(orm, context, [
      ...eventRecords([accountId], 40, 3),
      { offset: '43', value: Buffer.from('not an event') },
    ]);
    expect(late.unreadable).toBe(1);
    expect(await storedOffset(context)).toBe('105');
    expect(await deliveriesOf(endpointId)).toEqual([]);
  });
});

describe('a batch mixing accounts with and without an endpoint', () => {
  it("queues the new events of the endpoint's account only, and passes over what the stored offset covers", async () => {
    const withEndpoint = await seedAccount(orm);
    const without = await seedAccount(orm);
    const endpointId = await addEndpoint(withEndpoint);
    const context = partitionOfThisTest();
    const seen = eventRecords([withEndpoint, without], 0, 6);
    const fresh = eventRecords([withEndpoint, without], 6, 6);

    expect((await queueEventBatch(orm, context, seen)).queued).toBe(3);
    // Redelivered with the next records: only the ones past the stored offset are new.
    const result = await queueEventBatch(orm, context, [...seen, ...fresh]);

    expect(result).toEqual({ nextOffset: 12n, queued: 3, unreadable: 0 });
    expect(await deliveriesOf(endpointId)).toEqual(
      [...streamsOf(seen, withEndpoint), ...streamsOf(fresh, withEndpoint)].sort(),
    );
    expect(await storedOffset(context)).toBe('12');
  });
});

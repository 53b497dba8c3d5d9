import { MessageEventRecord } from '@exactly/contracts';
import { inTransaction, type Orm, runStatements } from '@exactly/persistence';
import { type DeliverableEvent, noEndpointForEvents, queueWebhookDeliveries } from '@exactly/webhooks';
import { lockStoredOffset, storeOffsetStatement, storeOffsetWhile } from '../inbox/consumerOffsets.js';

export interface EventRecord {
  offset: string;
  value: Buffer | null;
  /** The record's W3C trace context header (the relay's publish span). */
  traceparent?: string | undefined;
}

export interface EventBatchContext {
  groupId: string;
  topic: string;
  partition: number;
  topicId: string;
  transactionIdleTimeoutMs: number;
}

export interface EventBatchResult {
  nextOffset: bigint;
  queued: number;
  /** Records that are not message events (logged and passed over: nothing can be delivered). */
  unreadable: number;
}

/** A record's event, or undefined when its value is not a message event. */
export function readEventRecord(value: Buffer | null, traceparent?: string): DeliverableEvent | undefined {
  if (value === null) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = MessageEventRecord.safeParse(json);
  if (!parsed.success) return undefined;
  const { type, data, metadata } = parsed.data;
  return {
    accountId: metadata.accountId,
    streamId: metadata.streamId,
    version: metadata.version,
    type,
    at: metadata.at,
    data,
    ...(traceparent === undefined ? {} : { traceparent }),
  };
}

/**
 * One partition batch of message events. When no enabled endpoint belongs to any of its events'
 * accounts, the next offset is stored in one statement and nothing else is written: those events
 * queue no delivery wherever the offset stood. Otherwise ONE transaction: the stored offset (locked,
 * as the dispatcher's command batches do) says which records are new; each new event queues a
 * delivery per matching endpoint (unique per event and endpoint); the next offset is stored with
 * them.
 */
export async function queueEventBatch(
  orm: Orm,
  context: EventBatchContext,
  records: readonly EventRecord[],
): Promise<EventBatchResult> {
  const last = records[records.length - 1];
  if (last === undefined) throw new TypeError('a partition batch has at least one record');
  const batchEnd = BigInt(last.offset) + 1n;
  const readable = records.flatMap((record) => {
    const event = readEventRecord(record.value, record.traceparent);
    return event === undefined ? [] : [{ offset: BigInt(record.offset), event }];
  });
  const unreadable = records.length - readable.length;
  const passedOver = await storeOffsetWhile(
    orm.em.fork(),
    context,
    batchEnd,
    context.topicId,
    noEndpointForEvents(readable.map(({ event }) => event)),
  );
  if (passedOver) return { nextOffset: batchEnd, queued: 0, unreadable };
  return inTransaction(
    orm,
    async (tx) => {
      const stored = await lockStoredOffset(tx, context);
      const from = stored !== undefined && stored.topicId === context.topicId ? stored.nextOffset : 0n;
      const fresh = readable.filter(({ offset }) => offset >= from).map(({ event }) => event);
      const queued = await queueWebhookDeliveries(tx, fresh);
      const nextOffset = from > batchEnd ? from : batchEnd;
      await runStatements(tx, [storeOffsetStatement(context, nextOffset, context.topicId)]);
      return { nextOffset, queued, unreadable };
    },
    { idle_in_transaction_session_timeout: context.transactionIdleTimeoutMs },
  );
}

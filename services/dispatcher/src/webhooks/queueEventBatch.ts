import { MessageEventRecord } from '@exactly/contracts';
import { inTransaction, type Orm, runStatements } from '@exactly/persistence';
import { type DeliverableEvent, queueWebhookDeliveries } from '@exactly/webhooks';
import { lockStoredOffset, storeOffsetStatement } from '../inbox/consumerOffsets.js';

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
 * One partition batch of message events in ONE transaction: the stored offset (locked, as the
 * dispatcher's command batches do) says which records are new; each new event queues a delivery
 * per matching endpoint (unique per event and endpoint); the next offset is stored with them.
 */
export async function queueEventBatch(
  orm: Orm,
  context: EventBatchContext,
  records: readonly EventRecord[],
): Promise<EventBatchResult> {
  const last = records[records.length - 1];
  if (last === undefined) throw new TypeError('a partition batch has at least one record');
  const batchEnd = BigInt(last.offset) + 1n;
  return inTransaction(
    orm,
    async (tx) => {
      const stored = await lockStoredOffset(tx, context);
      const from = stored !== undefined && stored.topicId === context.topicId ? stored.nextOffset : 0n;
      const fresh = records.filter((record) => BigInt(record.offset) >= from);
      const events = fresh.map((record) => readEventRecord(record.value, record.traceparent));
      const readable = events.filter((event): event is DeliverableEvent => event !== undefined);
      const queued = await queueWebhookDeliveries(tx, readable);
      const nextOffset = from > batchEnd ? from : batchEnd;
      await runStatements(tx, [storeOffsetStatement(context, nextOffset, context.topicId)]);
      return { nextOffset, queued, unreadable: events.length - readable.length };
    },
    { idle_in_transaction_session_timeout: context.transactionIdleTimeoutMs },
  );
}

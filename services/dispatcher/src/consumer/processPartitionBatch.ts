import type { MessageStatus } from '@exactly/contracts';
import { type Channel, recordHeaders } from '@exactly/contracts';
import {
  type MessageEventsAppend,
  projectionUpdateStatement,
  recordMessageEvents,
  statusAfter,
} from '@exactly/message-store';
import { inTransaction, type Orm, runSql, runStatements, type SqlStatement } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type DeadLetter, writeDeadLetters } from '../deadLetters/writeDeadLetters.js';
import { keyedBatchPlans } from '../keyedBatchPlans.js';
import type { DecodedRecord } from './decodeRecord.js';

export interface PartitionBatchContext {
  groupId: string;
  topic: string;
  partition: number;
  /** Kafka's id of the topic: a stored offset of another id (or of none) is from another log. */
  topicId: string;
  eventsTopic: string;
  deadLetterTopic: string;
  providerFor: (channel: Channel) => string;
  maxAttempts: number;
  /** A transaction left idle this long (its process paused) is ended by PostgreSQL. */
  transactionIdleTimeoutMs: number;
}

/** The id of a message's effect: derived from the message id, so there is one per message. */
export function effectIdFor(messageId: string): string {
  return `eff_${messageId}`;
}

export interface PartitionBatchResult {
  /** The offset to consume from next; every record before it is done. */
  nextOffset: bigint;
  /** New commands: DispatchRequested appended and an effect queued. */
  dispatched: number;
  duplicates: { batch: number; inbox: number };
  /** Records below the stored offset: processed before (by this group). */
  skipped: number;
  /** Dead letters written by this batch (not counting ones stored before). */
  deadLetters: DeadLetter[];
}

type Command = Extract<DecodedRecord, { kind: 'command' }>;

interface MessageRow {
  id: string;
  account_id: string;
  version: number;
  status: MessageStatus;
}

/**
 * Processes one partition's batch in ONE PostgreSQL transaction: skips what the stored offset
 * says is done, deduplicates through the inbox, appends `DispatchRequested` to each new
 * message's stream, updates the projection, queues one effect per new command, writes dead
 * letters, and stores the next offset. Either all of it commits or none of it does, so a crash
 * at any instant leaves the partition exactly at a batch boundary.
 */
export async function processPartitionBatch(
  orm: Orm,
  context: PartitionBatchContext,
  records: readonly DecodedRecord[],
): Promise<PartitionBatchResult> {
  const last = records[records.length - 1];
  if (last === undefined) throw new TypeError('a partition batch has at least one record');
  const batchEnd = BigInt(last.record.offset) + 1n;

  // inTransaction, not em.transactional: it always hands the connection back, even when the
  // server ended the session. The idle timeout frees the partition's row locks if this process
  // is paused mid-transaction (SIGSTOP, a long GC), so the partition's next owner is not blocked.
  return inTransaction(
    orm,
    async (tx) => {
      const stored = await lockStoredOffset(tx, context);
      // An offset counts only in the log it was stored for: a topic created again under the same
      // name (or a cluster changed) restarts at 0, and its records below the old offset are new.
      // Within one log it is never compared with the batch's high watermark: a batch fetched long
      // ago (by a member that has since lost the partition) has a stale one.
      const from = stored !== undefined && stored.topicId === context.topicId ? stored.nextOffset : undefined;
      const fresh =
        from === undefined ? records : records.filter((item) => BigInt(item.record.offset) >= from);
      const result: PartitionBatchResult = {
        nextOffset: from !== undefined && from > batchEnd ? from : batchEnd,
        dispatched: 0,
        duplicates: { batch: 0, inbox: 0 },
        skipped: records.length - fresh.length,
        deadLetters: [],
      };
      if (fresh.length === 0) return result;

      const deadLetters: DeadLetter[] = [];
      const deadLetter = (
        item: DecodedRecord,
        code: DeadLetter['code'],
        reason: string,
        messageId?: string,
      ) =>
        deadLetters.push({
          code,
          reason,
          ...(messageId === undefined ? {} : { messageId }),
          topic: context.topic,
          partition: context.partition,
          record: item.record,
        });

      const commands: Command[] = [];
      for (const item of fresh) {
        if (item.kind === 'invalid') deadLetter(item, item.code, item.reason);
        else commands.push(item);
      }

      // A command whose message does not exist for its account was never accepted: it is set
      // aside before the inbox, so a forged or misrouted copy never takes a real command's id.
      const messages = await readMessages(tx, commands);
      const owned: Command[] = [];
      for (const item of commands) {
        const { messageId, accountId } = item.command.data;
        if (messages.get(messageId)?.account_id === accountId) {
          owned.push(item);
        } else {
          deadLetter(
            item,
            'command_not_accepted',
            `no message ${messageId} for account ${accountId}: the command was never accepted`,
            messageId,
          );
        }
      }

      // Duplicates inside the batch: the first delivery goes on, later ones are compared with it.
      const firstById = new Map<string, Command>();
      const unique: Command[] = [];
      for (const item of owned) {
        const id = item.command.data.messageId;
        const first = firstById.get(id);
        if (first === undefined) {
          firstById.set(id, item);
          unique.push(item);
        } else if (first.fingerprint.equals(item.fingerprint)) {
          result.duplicates.batch += 1;
        } else {
          deadLetter(item, 'payload_conflict', conflictReason(id, first.record.offset), id);
        }
      }

      const inserted = await insertIntoInbox(tx, context, unique);
      const seenBefore = unique.filter((item) => !inserted.has(item.command.data.messageId));
      if (seenBefore.length > 0) {
        const stored = await readInboxFingerprints(tx, seenBefore);
        for (const item of seenBefore) {
          const id = item.command.data.messageId;
          if (stored.get(id)?.equals(item.fingerprint)) result.duplicates.inbox += 1;
          else
            deadLetter(item, 'payload_conflict', `command ${id} was handled before with another payload`, id);
        }
      }

      const accepted: { item: Command; message: MessageRow }[] = [];
      for (const item of unique) {
        const { messageId } = item.command.data;
        const message = messages.get(messageId);
        if (message === undefined || !inserted.has(messageId)) continue;
        if (message.version > 1) {
          // The stream already has dispatcher events, yet the inbox did not know the command: its
          // inbox row was cleaned up, so this delivery reaches past the deduplication horizon.
          // Never run it again.
          deadLetter(
            item,
            'replay_beyond_horizon',
            `message ${messageId} was dispatched before (stream version ${message.version}) and its inbox record has expired`,
            messageId,
          );
        } else {
          accepted.push({ item, message });
        }
      }

      result.deadLetters = await writeDeadLetters(tx, deadLetters, {
        topic: context.deadLetterTopic,
        consumerGroup: context.groupId,
      });
      // The batch's writes and its offset in one round trip.
      await dispatch(tx, context, accepted, storeOffsetStatement(context, result.nextOffset));
      result.dispatched = accepted.length;
      return result;
    },
    { idle_in_transaction_session_timeout: context.transactionIdleTimeoutMs, ...keyedBatchPlans },
  );
}

function conflictReason(id: string, firstOffset: string): string {
  return `command ${id} appears again in the same batch (first at offset ${firstOffset}) with another payload`;
}

async function lockStoredOffset(
  tx: EntityManager,
  context: PartitionBatchContext,
): Promise<{ nextOffset: bigint; topicId: string | null } | undefined> {
  // FOR UPDATE: a member that lost the partition in a rebalance but still runs a batch waits here
  // for the new owner's transaction, then sees its offset and skips what it did.
  const { rows } = await runSql<{ next_offset: string; topic_id: string | null }>(
    tx,
    `SELECT next_offset, topic_id FROM consumer_offsets
      WHERE group_id = $1 AND topic = $2 AND partition = $3 FOR UPDATE`,
    [context.groupId, context.topic, context.partition],
  );
  const row = rows[0];
  return row === undefined ? undefined : { nextOffset: BigInt(row.next_offset), topicId: row.topic_id };
}

function storeOffsetStatement(context: PartitionBatchContext, nextOffset: bigint): SqlStatement {
  return {
    // Never lower within one log, whoever writes (a batch of a member that lost the partition
    // included); another log's offset replaces it.
    text: `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, topic_id) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (group_id, topic, partition)
     DO UPDATE SET next_offset = excluded.next_offset, topic_id = excluded.topic_id, updated_at = now()
      WHERE consumer_offsets.topic_id IS DISTINCT FROM excluded.topic_id
         OR consumer_offsets.next_offset <= excluded.next_offset`,
    parameters: [context.groupId, context.topic, context.partition, nextOffset.toString(), context.topicId],
  };
}

async function insertIntoInbox(
  tx: EntityManager,
  context: PartitionBatchContext,
  commands: readonly Command[],
): Promise<Set<string>> {
  if (commands.length === 0) return new Set();
  // The dedup itself: one multi-row insert; RETURNING gives exactly the ids not seen before.
  const { rows } = await runSql<{ message_id: string }>(
    tx,
    `INSERT INTO inbox (message_id, fingerprint, topic, partition, "offset")
     SELECT id, fingerprint, $3, $4, "offset" FROM unnest($1::text[], $2::bytea[], $5::bigint[])
       AS v(id, fingerprint, "offset")
     ON CONFLICT (message_id) DO NOTHING
     RETURNING message_id`,
    [
      commands.map((item) => item.command.data.messageId),
      commands.map((item) => item.fingerprint),
      context.topic,
      context.partition,
      commands.map((item) => item.record.offset),
    ],
  );
  return new Set(rows.map((row) => row.message_id));
}

async function readInboxFingerprints(tx: EntityManager, commands: readonly Command[]) {
  const { rows } = await runSql<{ message_id: string; fingerprint: Buffer }>(
    tx,
    'SELECT message_id, fingerprint FROM inbox WHERE message_id = ANY($1::text[])',
    [commands.map((item) => item.command.data.messageId)],
  );
  return new Map(rows.map((row) => [row.message_id, row.fingerprint]));
}

async function readMessages(
  tx: EntityManager,
  commands: readonly Command[],
): Promise<Map<string, MessageRow>> {
  if (commands.length === 0) return new Map();
  const ids = [...new Set(commands.map((item) => item.command.data.messageId))];
  // No row lock: until this transaction commits no effect exists for a new command's message,
  // so nothing else appends to its stream; a concurrent writer would still be caught by the
  // event store's primary key (concurrency_conflict, retried).
  const { rows } = await runSql<MessageRow>(
    tx,
    'SELECT id, account_id, version, status FROM messages WHERE id = ANY($1::text[])',
    [ids],
  );
  return new Map(rows.map((row) => [row.id, row]));
}

/**
 * For each accepted command: DispatchRequested appended (and queued for the events topic), the
 * projection updated, an effect queued; with `storeOffset`, all in one round trip.
 */
async function dispatch(
  tx: EntityManager,
  context: PartitionBatchContext,
  accepted: readonly { item: Command; message: MessageRow }[],
  storeOffset: SqlStatement,
): Promise<void> {
  if (accepted.length === 0) {
    await runStatements(tx, [storeOffset]);
    return;
  }
  const planned = accepted.map(({ item, message }) => {
    const { data } = item.command;
    const traceparent = item.record.headers[recordHeaders.traceparent];
    return {
      data,
      message,
      effectId: effectIdFor(data.messageId),
      provider: context.providerFor(data.message.channel),
      metadata: traceparent === undefined ? {} : { traceparent },
    };
  });
  const appends: MessageEventsAppend[] = planned.map((plan) => ({
    streamId: plan.data.messageId,
    accountId: plan.data.accountId,
    expectedVersion: plan.message.version,
    events: [
      {
        type: 'DispatchRequested',
        data: { provider: plan.provider, effectId: plan.effectId },
        metadata: plan.metadata,
      },
    ],
  }));
  // The projection moves with its stream, in the same transaction.
  const projection = projectionUpdateStatement(
    planned.map((plan) => ({
      id: plan.message.id,
      status: statusAfter(plan.message.status, 'DispatchRequested'),
      version: plan.message.version + 1,
    })),
  );
  const effects: SqlStatement = {
    text: `INSERT INTO effects (id, message_id, account_id, channel, provider, idempotency_key, request, max_attempts)
     SELECT id, message_id, account_id, channel, provider, message_id, request, $7
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
         AS v(id, message_id, account_id, channel, provider, request)`,
    parameters: [
      planned.map((plan) => plan.effectId),
      planned.map((plan) => plan.data.messageId),
      planned.map((plan) => plan.data.accountId),
      planned.map((plan) => plan.data.message.channel),
      planned.map((plan) => plan.provider),
      planned.map((plan) => JSON.stringify(plan.data.message)),
      context.maxAttempts,
    ],
  };
  await recordMessageEvents(tx, appends, {
    topic: context.eventsTopic,
    also: [projection, effects, storeOffset],
  });
}

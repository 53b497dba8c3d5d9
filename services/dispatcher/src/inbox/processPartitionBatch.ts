import { type Channel, recordHeaders } from '@exactly/contracts';
import type { ErrorCode } from '@exactly/errors';
import { initialMessageState, type MessageState } from '@exactly/message-store';
import { inTransaction, type Orm } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  type CommandDecision,
  type DispatchMessage,
  decideCommand,
  wasAccepted,
} from '../decide/decideCommand.js';
import type { EffectHandoff } from '../effects/effectHandoff.js';
import { keyedBatchPlans } from '../keyedBatchPlans.js';
import { lockStoredOffsets, type StoredOffset, storeOffsetStatement } from './consumerOffsets.js';
import type { DecodedRecord } from './decodeRecord.js';
import { deduplicateThroughInbox } from './deduplicateThroughInbox.js';
import { inboxTraceparent, startInboxSpans } from './inboxSpans.js';
import { readMessageStates } from './readMessageStates.js';
import { type Dispatch, type EffectsHanding, recordDispatches } from './recordDispatches.js';
import { type DeadLetter, writeDeadLetters } from './writeDeadLetters.js';

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
  /** This process's executor, which takes the new effects it has room for claimed at creation. */
  handoff?: EffectHandoff | undefined;
}

/** One partition's records as Kafka handed them over, in offset order. */
export interface PartitionBatch {
  context: PartitionBatchContext;
  records: readonly DecodedRecord[];
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

type Handing = EffectsHanding & { traceparents: Map<string, string> };

/**
 * Processes one partition's batch in ONE PostgreSQL transaction, step by step: skip what the
 * stored offset says is done, set aside what cannot be a command, read the messages' states, set
 * aside commands never accepted (before the inbox, so a forged copy never takes a real command's
 * id), drop repeats within the batch, deduplicate through the inbox, decide each command
 * (`decideCommand`), then write the dead letters, and the dispatches with the next offset. Either
 * all of it commits or none of it does, so a crash at any instant leaves the partition exactly at
 * a batch boundary.
 */
export async function processPartitionBatch(
  orm: Orm,
  context: PartitionBatchContext,
  records: readonly DecodedRecord[],
): Promise<PartitionBatchResult> {
  const [result] = await processPartitionBatches(orm, [{ context, records }]);
  if (result === undefined) throw new TypeError('one batch in, one result out');
  return result;
}

/**
 * Several partitions' batches of one topic in ONE transaction, as `processPartitionBatch` does one:
 * each partition's stored offset locked and stored, the steps in between taken for all their
 * records at once. A transaction costs about the same for 5 records as for 50, and at a modest
 * rate a partition's batch holds a few, so the batches Kafka hands over together are processed
 * together. Results in the order of `batches`.
 */
export async function processPartitionBatches(
  orm: Orm,
  batches: readonly PartitionBatch[],
): Promise<PartitionBatchResult[]> {
  const spans = batches.map(({ context, records }) => startInboxSpans(records, context));
  try {
    const results = await processInTransaction(orm, batches);
    for (const span of spans) span.end();
    return results;
  } catch (error) {
    for (const span of spans) span.end(error);
    throw error;
  }
}

async function processInTransaction(
  orm: Orm,
  batches: readonly PartitionBatch[],
): Promise<PartitionBatchResult[]> {
  const [first] = batches;
  if (first === undefined) return [];
  // Effects claimed at creation: handed to the executor only once the transaction committed.
  const handing: Handing = { claimed: [], queued: new Set(), traceparents: new Map() };
  let results: PartitionBatchResult[];
  try {
    results = await writeInTransaction(orm, first.context, batches, handing);
  } catch (error) {
    first.context.handoff?.cancel(handing.claimed);
    throw error;
  }
  first.context.handoff?.hand(handing.claimed, handing.traceparents, handing.queued);
  return results;
}

async function writeInTransaction(
  orm: Orm,
  shared: PartitionBatchContext,
  batches: readonly PartitionBatch[],
  handing: Handing,
): Promise<PartitionBatchResult[]> {
  // inTransaction, not em.transactional: it always hands the connection back, even when the
  // server ended the session. The idle timeout frees the partitions' row locks if this process
  // is paused mid-transaction (SIGSTOP, a long GC), so a partition's next owner is not blocked.
  return inTransaction(
    orm,
    async (tx) => {
      const stored = await lockStoredOffsets(
        tx,
        shared,
        batches.map(({ context }) => context.partition),
      );
      const { results, sourceOf } = skipProcessedBatches(batches, stored);
      const resultFor = (batch: PartitionBatch | undefined): PartitionBatchResult => {
        const result = batch === undefined ? undefined : results.get(batch);
        if (result === undefined) throw new TypeError('a record of no batch in this transaction');
        return result;
      };
      const resultOf = (item: DecodedRecord) => resultFor(sourceOf.get(item));
      const contextOf = (item: DecodedRecord) => sourceOf.get(item)?.context ?? shared;
      const ordered = batches.map(resultFor);
      if (sourceOf.size === 0) return ordered;

      const { commands, invalid } = splitInvalid([...sourceOf.keys()]);
      const states = await readMessageStates(
        tx,
        commands.map((item) => item.command.data.messageId),
      );
      const { accepted, notAccepted } = setAsideNotAccepted(commands, states, shared);
      const { firsts, repeats, conflicts } = dropBatchRepeats(accepted);
      const decided = await deduplicateAndDecide(tx, shared, firsts, states, contextOf);

      for (const item of repeats) resultOf(item).duplicates.batch += 1;
      for (const item of decided.duplicates) resultOf(item).duplicates.inbox += 1;
      for (const item of decided.dispatched) resultOf(item).dispatched += 1;
      const written = await writeDeadLetters(
        tx,
        [...invalid, ...notAccepted, ...conflicts, ...decided.deadLetters].map((setAside) =>
          deadLetterOf(contextOf(setAside.item), setAside),
        ),
        { topic: shared.deadLetterTopic, consumerGroup: shared.groupId },
      );
      const byPartition = new Map(batches.map((batch) => [batch.context.partition, resultFor(batch)]));
      for (const letter of written) byPartition.get(letter.partition)?.deadLetters.push(letter);
      // Every batch's writes and their offsets in one round trip.
      await recordDispatches(
        tx,
        shared,
        decided.dispatches,
        batches.map((batch) =>
          storeOffsetStatement(batch.context, resultFor(batch).nextOffset, batch.context.topicId),
        ),
        handing,
      );
      for (const { command, events } of decided.dispatches) {
        const traceparent = events[0].metadata?.traceparent;
        if (traceparent !== undefined) handing.traceparents.set(command.data.messageId, traceparent);
      }
      return ordered;
    },
    { idle_in_transaction_session_timeout: shared.transactionIdleTimeoutMs, ...keyedBatchPlans },
  );
}

/**
 * Each batch's result so far (its next offset and the records skipped as done) and, for each
 * record still to process, the batch it came from.
 */
function skipProcessedBatches(
  batches: readonly PartitionBatch[],
  stored: ReadonlyMap<number, StoredOffset>,
): { results: Map<PartitionBatch, PartitionBatchResult>; sourceOf: Map<DecodedRecord, PartitionBatch> } {
  const results = new Map<PartitionBatch, PartitionBatchResult>();
  const sourceOf = new Map<DecodedRecord, PartitionBatch>();
  for (const batch of batches) {
    const { context, records } = batch;
    const { fresh, nextOffset } = skipProcessed(
      records,
      stored.get(context.partition),
      context.topicId,
      endOfBatch(records),
    );
    results.set(batch, {
      nextOffset,
      dispatched: 0,
      duplicates: { batch: 0, inbox: 0 },
      skipped: records.length - fresh.length,
      deadLetters: [],
    });
    for (const item of fresh) sourceOf.set(item, batch);
  }
  return { results, sourceOf };
}

/** A record set aside, with why. */
interface SetAside {
  item: DecodedRecord;
  code: ErrorCode;
  reason: string;
  messageId?: string;
}

function endOfBatch(records: readonly DecodedRecord[]): bigint {
  const last = records[records.length - 1];
  if (last === undefined) throw new TypeError('a partition batch has at least one record');
  return BigInt(last.record.offset) + 1n;
}

/**
 * The records at or after the stored offset, and the offset to store. An offset counts only in the
 * log it was stored for: a topic created again under the same name (or a cluster changed)
 * restarts at 0, and its records below the old offset are new. Within one log it is never compared
 * with the batch's high watermark: a batch fetched long ago (by a member that has since lost the
 * partition) has a stale one.
 */
function skipProcessed(
  records: readonly DecodedRecord[],
  stored: StoredOffset | undefined,
  topicId: string,
  batchEnd: bigint,
): { fresh: readonly DecodedRecord[]; nextOffset: bigint } {
  const from = stored !== undefined && stored.topicId === topicId ? stored.nextOffset : undefined;
  if (from === undefined) return { fresh: records, nextOffset: batchEnd };
  return {
    fresh: records.filter((item) => BigInt(item.record.offset) >= from),
    nextOffset: from > batchEnd ? from : batchEnd,
  };
}

/** Records that did not decode as a command are set aside with the decoder's reason. */
function splitInvalid(records: readonly DecodedRecord[]): { commands: Command[]; invalid: SetAside[] } {
  const commands: Command[] = [];
  const invalid: SetAside[] = [];
  for (const item of records) {
    if (item.kind === 'invalid') invalid.push({ item, code: item.code, reason: item.reason });
    else commands.push(item);
  }
  return { commands, invalid };
}

/** Commands whose message does not exist for their account get the decider's dead letter now. */
function setAsideNotAccepted(
  commands: readonly Command[],
  states: ReadonlyMap<string, MessageState>,
  context: PartitionBatchContext,
): { accepted: Command[]; notAccepted: SetAside[] } {
  const accepted: Command[] = [];
  const notAccepted: SetAside[] = [];
  for (const item of commands) {
    const state = stateOf(states, item);
    if (wasAccepted(state, item.command.data.accountId)) accepted.push(item);
    else notAccepted.push(setAsideBy(item, decideCommand(dispatchCommand(item, context), state)));
  }
  return { accepted, notAccepted };
}

/** Duplicates inside the batch: the first delivery goes on, later ones are compared with it. */
function dropBatchRepeats(commands: readonly Command[]): {
  firsts: Command[];
  repeats: Command[];
  conflicts: SetAside[];
} {
  const firstById = new Map<string, Command>();
  const conflicts: SetAside[] = [];
  const repeats: Command[] = [];
  for (const item of commands) {
    const id = item.command.data.messageId;
    const first = firstById.get(id);
    if (first === undefined) firstById.set(id, item);
    else if (first.fingerprint.equals(item.fingerprint)) repeats.push(item);
    else
      conflicts.push({
        item,
        code: 'payload_conflict',
        reason: `command ${id} appears again in the same batch (first at offset ${first.record.offset}) with another payload`,
        messageId: id,
      });
  }
  return { firsts: [...firstById.values()], repeats, conflicts };
}

/** Each command through the inbox, then decided from its message's state and its delivery. */
async function deduplicateAndDecide(
  tx: EntityManager,
  context: PartitionBatchContext,
  commands: readonly Command[],
  states: ReadonlyMap<string, MessageState>,
  contextOf: (item: Command) => PartitionBatchContext,
): Promise<{
  dispatches: Dispatch[];
  dispatched: Command[];
  duplicates: Command[];
  deadLetters: SetAside[];
}> {
  const deliveries = await deduplicateThroughInbox(
    tx,
    context,
    commands.map((item) => ({
      messageId: item.command.data.messageId,
      fingerprint: item.fingerprint,
      partition: contextOf(item).partition,
      offset: item.record.offset,
    })),
  );
  const decided = {
    dispatches: [] as Dispatch[],
    dispatched: [] as Command[],
    duplicates: [] as Command[],
    deadLetters: [] as SetAside[],
  };
  for (const item of commands) {
    const state = stateOf(states, item);
    const delivery = deliveries.get(item.command.data.messageId);
    const decision = decideCommand(dispatchCommand(item, context, delivery), state);
    if (decision.outcome === 'dispatch') {
      decided.dispatched.push(item);
      decided.dispatches.push({
        command: item.command,
        state,
        effectId: decision.effectId,
        events: decision.events,
      });
    } else if (decision.outcome === 'duplicate') decided.duplicates.push(item);
    else decided.deadLetters.push(setAsideBy(item, decision));
  }
  return decided;
}

function stateOf(states: ReadonlyMap<string, MessageState>, item: Command): MessageState {
  return states.get(item.command.data.messageId) ?? initialMessageState();
}

/** The decider's command for a record: its ids, its provider, its trace, and its delivery once known. */
function dispatchCommand(
  item: Command,
  context: PartitionBatchContext,
  delivery?: DispatchMessage['data']['delivery'],
): DispatchMessage {
  const { messageId, accountId, message } = item.command.data;
  const traceparent = inboxTraceparent(item.record) ?? item.record.headers[recordHeaders.traceparent];
  return {
    type: 'DispatchMessage',
    data: {
      messageId,
      accountId,
      provider: context.providerFor(message.channel),
      ...(delivery === undefined ? {} : { delivery }),
    },
    metadata: traceparent === undefined ? {} : { traceparent },
  };
}

function setAsideBy(item: Command, decision: CommandDecision): SetAside {
  if (decision.outcome !== 'dead_letter') throw new TypeError(`command ${decision.outcome} is not set aside`);
  return { item, code: decision.code, reason: decision.reason, messageId: item.command.data.messageId };
}

function deadLetterOf(
  context: PartitionBatchContext,
  { item, code, reason, messageId }: SetAside,
): DeadLetter {
  return {
    code,
    reason,
    ...(messageId === undefined ? {} : { messageId }),
    topic: context.topic,
    partition: context.partition,
    record: item.record,
  };
}

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
import { lockStoredOffset, type StoredOffset, storeOffsetStatement } from './consumerOffsets.js';
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
  const batchEnd = endOfBatch(records);
  const spans = startInboxSpans(records, context);
  try {
    const result = await processInTransaction(orm, context, records, batchEnd);
    spans.end();
    return result;
  } catch (error) {
    spans.end(error);
    throw error;
  }
}

async function processInTransaction(
  orm: Orm,
  context: PartitionBatchContext,
  records: readonly DecodedRecord[],
  batchEnd: bigint,
): Promise<PartitionBatchResult> {
  // Effects claimed at creation: handed to the executor only once the transaction committed.
  const handing: Handing = { claimed: [], queued: new Set(), traceparents: new Map() };
  let result: PartitionBatchResult;
  try {
    result = await writeInTransaction(orm, context, records, batchEnd, handing);
  } catch (error) {
    context.handoff?.cancel(handing.claimed);
    throw error;
  }
  context.handoff?.hand(handing.claimed, handing.traceparents, handing.queued);
  return result;
}

async function writeInTransaction(
  orm: Orm,
  context: PartitionBatchContext,
  records: readonly DecodedRecord[],
  batchEnd: bigint,
  handing: Handing,
): Promise<PartitionBatchResult> {
  // inTransaction, not em.transactional: it always hands the connection back, even when the
  // server ended the session. The idle timeout frees the partition's row locks if this process
  // is paused mid-transaction (SIGSTOP, a long GC), so the partition's next owner is not blocked.
  return inTransaction(
    orm,
    async (tx) => {
      const stored = await lockStoredOffset(tx, context);
      const { fresh, nextOffset } = skipProcessed(records, stored, context.topicId, batchEnd);
      const result: PartitionBatchResult = {
        nextOffset,
        dispatched: 0,
        duplicates: { batch: 0, inbox: 0 },
        skipped: records.length - fresh.length,
        deadLetters: [],
      };
      if (fresh.length === 0) return result;

      const { commands, invalid } = splitInvalid(fresh);
      const states = await readMessageStates(
        tx,
        commands.map((item) => item.command.data.messageId),
      );
      const { accepted, notAccepted } = setAsideNotAccepted(commands, states, context);
      const { firsts, repeats, conflicts } = dropBatchRepeats(accepted);
      const decided = await deduplicateAndDecide(tx, context, firsts, states);

      result.duplicates = { batch: repeats, inbox: decided.duplicates };
      result.deadLetters = await writeDeadLetters(
        tx,
        [...invalid, ...notAccepted, ...conflicts, ...decided.deadLetters].map((setAside) =>
          deadLetterOf(context, setAside),
        ),
        { topic: context.deadLetterTopic, consumerGroup: context.groupId },
      );
      // The batch's writes and its offset in one round trip.
      await recordDispatches(
        tx,
        context,
        decided.dispatches,
        [storeOffsetStatement(context, result.nextOffset, context.topicId)],
        handing,
      );
      for (const { command, events } of decided.dispatches) {
        const traceparent = events[0].metadata?.traceparent;
        if (traceparent !== undefined) handing.traceparents.set(command.data.messageId, traceparent);
      }
      result.dispatched = decided.dispatches.length;
      return result;
    },
    { idle_in_transaction_session_timeout: context.transactionIdleTimeoutMs, ...keyedBatchPlans },
  );
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
  repeats: number;
  conflicts: SetAside[];
} {
  const firstById = new Map<string, Command>();
  const conflicts: SetAside[] = [];
  let repeats = 0;
  for (const item of commands) {
    const id = item.command.data.messageId;
    const first = firstById.get(id);
    if (first === undefined) firstById.set(id, item);
    else if (first.fingerprint.equals(item.fingerprint)) repeats += 1;
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
): Promise<{ dispatches: Dispatch[]; duplicates: number; deadLetters: SetAside[] }> {
  const deliveries = await deduplicateThroughInbox(
    tx,
    context,
    commands.map((item) => ({
      messageId: item.command.data.messageId,
      fingerprint: item.fingerprint,
      offset: item.record.offset,
    })),
  );
  const decided = { dispatches: [] as Dispatch[], duplicates: 0, deadLetters: [] as SetAside[] };
  for (const item of commands) {
    const state = stateOf(states, item);
    const delivery = deliveries.get(item.command.data.messageId);
    const decision = decideCommand(dispatchCommand(item, context, delivery), state);
    if (decision.outcome === 'dispatch') {
      decided.dispatches.push({
        command: item.command,
        state,
        effectId: decision.effectId,
        events: decision.events,
      });
    } else if (decision.outcome === 'duplicate') decided.duplicates += 1;
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

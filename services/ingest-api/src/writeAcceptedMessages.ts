import {
  commandSchemaVersion,
  jsonContentType,
  type MessageAccepted,
  type MessageScheduled,
  recordHeaders,
  type SendMessageCommand,
} from '@exactly/contracts';
import type { EntityManager } from '@exactly/idempotency';
import {
  type MessageEventsAppend,
  messageEventsStatements,
  newMessagesStatement,
  projectionUpdateStatement,
  recordMessageEvents,
  scheduleSendsStatement,
} from '@exactly/message-store';
import { enqueueOutboxStatement, type OutboxEntry } from '@exactly/outbox';
import { runStatements, type SqlStatement } from '@exactly/persistence';
import type { AcceptedMessage, AcceptedMessages } from './acceptMessages.js';

export interface Topics {
  commands: string;
  messageEvents: string;
}

export type EffectsWriter = (em: EntityManager, effects: AcceptedMessages[]) => Promise<void>;

/**
 * Writes accepted messages inside the idempotency transaction, for a whole batch of requests at
 * once: the `messages` rows (status accepted, version 1), event v1 `MessageAccepted` of each
 * stream (queued for the events topic), and one command per message on the commands topic.
 */
export function writeAcceptedMessages(topics: Topics): EffectsWriter {
  return async (em, effects) => {
    const messages = effects.flatMap((effect) => effect.messages);
    if (messages.length === 0) return;
    // The rows, the events with their outbox rows and the commands: one round trip.
    await recordMessageEvents(em, messages.map(toAppend), {
      topic: topics.messageEvents,
      at: messages[0]?.createdAt ?? new Date(),
      also: rowsAndCommands(topics, messages),
    });
    const scheduled = messages.flatMap((message) =>
      message.sendAt === undefined ? [] : [{ message, dueAt: message.sendAt }],
    );
    if (scheduled.length === 0) return;
    // A second round trip, as both need the rows inserted above (one statement's parts share a snapshot).
    await runStatements(em, [
      projectionUpdateStatement(
        scheduled.map(({ message }) => ({ id: message.id, status: 'scheduled', version: 2 })),
      ),
      scheduleSendsStatement(
        scheduled.map(({ message, dueAt }) => ({
          messageId: message.id,
          accountId: message.accountId,
          dueAt,
          requestId: message.requestId,
          traceparent: message.traceparent,
        })),
      ),
    ]);
  };
}

/**
 * What `writeAcceptedMessages` writes, as independent statements for the idempotency engine's
 * one-statement write (`effectStatements`); undefined when a message is scheduled, whose
 * projection and schedule rows need a second round trip after its row.
 */
export function acceptedMessagesStatements(
  topics: Topics,
): (effects: AcceptedMessages[]) => SqlStatement[] | undefined {
  return (effects) => {
    const messages = effects.flatMap((effect) => effect.messages);
    if (messages.some((message) => message.sendAt !== undefined)) return undefined;
    if (messages.length === 0) return [];
    const events = messageEventsStatements(messages.map(toAppend), {
      topic: topics.messageEvents,
      at: messages[0]?.createdAt ?? new Date(),
    });
    return [...events, ...rowsAndCommands(topics, messages)];
  };
}

/** The `messages` rows and the commands of the messages not scheduled. */
function rowsAndCommands(topics: Topics, messages: AcceptedMessage[]): SqlStatement[] {
  // One multi-row insert for every message of every request in the batch.
  const rows = newMessagesStatement(
    messages.map((message) => ({
      id: message.id,
      accountId: message.accountId,
      messageKey: message.messageKey,
      batchId: message.batchId,
      channel: message.command.channel,
      recipient: message.command.to,
      sender: message.command.from,
      content: message.command,
      createdAt: message.createdAt,
    })),
  );
  // A scheduled message gets no command now: the dispatcher's scheduler queues it when due.
  const commands = enqueueOutboxStatement(
    messages
      .filter((message) => message.sendAt === undefined)
      .map((message) => commandRecord(topics.commands, message)),
  );
  return commands === undefined ? [rows] : [rows, commands];
}

/** A new message's stream: its first event, and its second when it is scheduled. */
function toAppend(message: AcceptedMessage): MessageEventsAppend {
  return {
    streamId: message.id,
    accountId: message.accountId,
    expectedVersion: 0,
    events:
      message.sendAt === undefined
        ? [messageAccepted(message)]
        : [messageAccepted(message), messageScheduled(message, message.sendAt)],
  };
}

/** Event v2 of a message accepted for later. */
function messageScheduled(message: AcceptedMessage, sendAt: Date): MessageScheduled {
  return {
    type: 'MessageScheduled',
    data: { sendAt: sendAt.toISOString() },
    metadata: { requestId: message.requestId, traceparent: message.traceparent },
  };
}

/** Event v1 of an accepted message's stream. */
function messageAccepted(message: AcceptedMessage): MessageAccepted {
  return {
    type: 'MessageAccepted',
    data: {
      messageId: message.id,
      accountId: message.accountId,
      channel: message.command.channel,
      to: message.command.to,
      from: message.command.from,
      idempotencyKey: message.messageKey,
      ...(message.batchId === undefined ? {} : { batchId: message.batchId }),
      ...(message.template === undefined ? {} : { template: message.template }),
    },
    metadata: { requestId: message.requestId, traceparent: message.traceparent },
  };
}

/** The outbox record of one accepted message for the commands topic, keyed by its Kafka key `<account id>/<message key>`. */
export function commandRecord(topic: string, message: AcceptedMessage): OutboxEntry {
  const payload: SendMessageCommand = {
    type: 'SendMessage',
    data: {
      messageId: message.id,
      accountId: message.accountId,
      message: message.command,
      acceptedAt: message.createdAt.toISOString(),
    },
    metadata: {
      schemaVersion: commandSchemaVersion,
      idempotencyKey: message.messageKey,
      requestId: message.requestId,
      ...(message.batchId === undefined ? {} : { batchId: message.batchId }),
    },
  };
  return {
    topic,
    kafkaKey: `${message.accountId}/${message.messageKey}`,
    payload,
    headers: {
      [recordHeaders.messageId]: message.id,
      [recordHeaders.accountId]: message.accountId,
      [recordHeaders.schemaVersion]: String(commandSchemaVersion),
      [recordHeaders.contentType]: jsonContentType,
      [recordHeaders.traceparent]: message.traceparent,
    },
  };
}

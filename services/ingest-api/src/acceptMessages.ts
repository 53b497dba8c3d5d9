import {
  type MessageResource,
  recordSizeBound,
  type SendMessage,
  type TemplateRef,
} from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import type { IdempotencyProfile, StoredReply } from '@exactly/idempotency';
import { commandRecord } from './writeAcceptedMessages.js';

/** One command the API accepts, with everything its rows need; computed before the transaction. */
export interface AcceptedMessage {
  id: string;
  accountId: string;
  /** The message key: the client's idempotency key, or for batch item i `${key}/${i}`; the message id when no key was sent. */
  messageKey: string;
  batchId: string | undefined;
  command: SendMessage;
  createdAt: Date;
  requestId: string;
  traceparent: string;
  /** When it is to be sent, if later than when it was accepted: it waits in the schedule. */
  sendAt?: Date;
  /** The template version it was rendered from, if it named one. */
  template?: TemplateRef;
}

/** The effect of one accepted request: its messages, written together with its idempotency record. */
export interface AcceptedMessages {
  messages: AcceptedMessage[];
}

export interface AcceptInput {
  accountId: string;
  commands: SendMessage[];
  /** A batch answers `{ messages: [...] }`; a single command answers the message. */
  batch: boolean;
  /** The client's idempotency key, if it sent one. */
  idempotencyKey: string | undefined;
  requestId: string;
  traceparent: string;
  now: Date;
  newId: (prefix: string) => string;
  profile: IdempotencyProfile;
  /** `max.message.bytes` of the commands topic: a command whose record is larger is refused (413). */
  maxRecordBytes: number;
  /** Each command's `send_at`, if it has one; a time not after `now` means now. */
  sendAt?: readonly (Date | undefined)[];
  /** Each command's template version, if it was rendered from one. */
  templates?: readonly (TemplateRef | undefined)[];
}

/** The accepted messages and the reply the client gets now and on every replay. */
export function acceptMessages(input: AcceptInput): {
  effect: AcceptedMessages;
  reply: StoredReply;
  resourceIds: string[];
} {
  const batchId = input.batch ? input.newId('bat') : undefined;
  const messages = input.commands.map((command, index): AcceptedMessage => {
    const id = input.newId('msg');
    const key = input.idempotencyKey ?? id;
    const sendAt = input.sendAt?.[index];
    const template = input.templates?.[index];
    return {
      id,
      accountId: input.accountId,
      messageKey: input.batch && input.idempotencyKey !== undefined ? `${key}/${index}` : key,
      batchId,
      command,
      createdAt: input.now,
      requestId: input.requestId,
      traceparent: input.traceparent,
      ...(sendAt !== undefined && sendAt > input.now ? { sendAt } : {}),
      ...(template === undefined ? {} : { template }),
    };
  });
  for (const [index, message] of messages.entries()) assertPublishable(message, index, input);
  const resources = messages.map(toResource);
  const content = input.batch ? { messages: resources } : resources[0];
  const body = JSON.stringify(input.profile.envelope === 'data' ? { data: content } : content);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (!input.batch && messages[0]) headers.location = `/v1/messages/${messages[0].id}`;
  return {
    effect: { messages },
    reply: { status: input.profile.createdStatus, headers, body },
    resourceIds: messages.map((message) => message.id),
  };
}

/**
 * Refuses a command the commands topic would never take: the relay would set it aside and it
 * would never be sent. The bound is of the record as the relay sends it (the payload as
 * PostgreSQL renders the jsonb, one space after each `:` and `,`), measured as the relay does.
 */
function assertPublishable(message: AcceptedMessage, index: number, input: AcceptInput): void {
  const record = commandRecord('', message);
  const bytes = recordSizeBound(record.kafkaKey, jsonbText(record.payload), record.headers);
  if (bytes <= input.maxRecordBytes) return;
  throw new ExactlyError(
    'payload_too_large',
    `${input.batch ? `message ${index} of the batch` : 'the message'} would make a record of about ${bytes} bytes; the commands topic takes at most ${input.maxRecordBytes} bytes (max.message.bytes)`,
    { details: { limit: input.maxRecordBytes, ...(input.batch ? { index } : {}) } },
  );
}

/** An upper bound of the byte length of PostgreSQL's text rendering of a JSON value stored as jsonb. */
function jsonbText(value: unknown): string {
  const text = JSON.stringify(value);
  return text + ' '.repeat(separators(value));
}

function separators(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + 1 + separators(item), 0);
  if (typeof value === 'object' && value !== null) {
    return Object.values(value).reduce((sum: number, item) => sum + 2 + separators(item), 0);
  }
  return 0;
}

function toResource(message: AcceptedMessage): MessageResource {
  const { command } = message;
  return {
    id: message.id,
    status: message.sendAt === undefined ? 'accepted' : 'scheduled',
    channel: command.channel,
    to: command.to,
    from: command.from,
    ...(command.metadata === undefined ? {} : { metadata: command.metadata }),
    ...(message.template === undefined ? {} : { template: message.template }),
    createdAt: message.createdAt.toISOString(),
    ...(message.sendAt === undefined ? {} : { sendAt: message.sendAt.toISOString() }),
  };
}

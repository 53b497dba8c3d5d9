import type { MessageResource, SendMessage } from '@exactly/contracts';
import type { IdempotencyProfile, StoredReply } from '@exactly/idempotency';

/** One command the API accepts, with everything its rows need; computed before the transaction. */
export interface AcceptedMessage {
  id: string;
  accountId: string;
  /** The client's key, or for batch item i `${key}/${i}`; the message id when no key was sent. */
  idempotencyKey: string;
  batchId: string | undefined;
  command: SendMessage;
  createdAt: Date;
  requestId: string;
  traceparent: string;
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
  idempotencyKey: string | undefined;
  requestId: string;
  traceparent: string;
  now: Date;
  newId: (prefix: string) => string;
  profile: IdempotencyProfile;
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
    return {
      id,
      accountId: input.accountId,
      idempotencyKey: input.batch && input.idempotencyKey !== undefined ? `${key}/${index}` : key,
      batchId,
      command,
      createdAt: input.now,
      requestId: input.requestId,
      traceparent: input.traceparent,
    };
  });
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

function toResource(message: AcceptedMessage): MessageResource {
  const { command } = message;
  return {
    id: message.id,
    status: 'accepted',
    channel: command.channel,
    to: command.to,
    from: command.from,
    ...(command.metadata === undefined ? {} : { metadata: command.metadata }),
    createdAt: message.createdAt.toISOString(),
  };
}

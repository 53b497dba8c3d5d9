import { randomUUID } from 'node:crypto';
import {
  commandSchemaVersion,
  jsonContentType,
  recordHeaders,
  type SendMessage,
  type SendMessageCommand,
} from '@exactly/contracts';
import { appendToStreams } from '@exactly/message-store';
import { newId, type Orm, runSql } from '@exactly/persistence';
import type { Producer } from 'kafkajs';

/** One accepted command as ingest would leave it: a `messages` row, its v1 event, and the Kafka record. */
export interface SeededCommand {
  messageId: string;
  accountId: string;
  messageKey: string;
  command: SendMessageCommand;
  /** The Kafka record ingest's outbox row becomes. */
  record: { key: string; value: string; headers: Record<string, string> };
}

export async function seedAccount(orm: Orm): Promise<string> {
  const accountId = newId('acc');
  await runSql(orm.em.fork(), 'INSERT INTO accounts (id, name) VALUES ($1, $2)', [
    accountId,
    'Dispatcher test',
  ]);
  return accountId;
}

export function emailTo(index: number): SendMessage {
  return {
    channel: 'email',
    to: `user${index}@example.com`,
    from: 'orders@acme.example',
    subject: `Order ${index}`,
    text: `Your order ${index} has shipped.`,
  };
}

/**
 * Inserts `count` accepted messages for an account (rows and `MessageAccepted` events, in chunks)
 * and returns their commands; nothing is produced yet.
 */
export async function seedMessages(
  orm: Orm,
  accountId: string,
  count: number,
  message: (index: number) => SendMessage = emailTo,
): Promise<SeededCommand[]> {
  const run = randomUUID().slice(0, 8);
  const seeded = Array.from({ length: count }, (_, index) => {
    const messageId = newId('msg');
    const messageKey = `key-${run}-${index}`;
    const command: SendMessageCommand = {
      type: 'SendMessage',
      data: { messageId, accountId, message: message(index), acceptedAt: new Date().toISOString() },
      metadata: { schemaVersion: commandSchemaVersion, idempotencyKey: messageKey },
    };
    return {
      messageId,
      accountId,
      messageKey,
      command,
      record: {
        key: `${accountId}/${messageKey}`,
        value: JSON.stringify(command),
        headers: {
          [recordHeaders.messageId]: messageId,
          [recordHeaders.accountId]: accountId,
          [recordHeaders.schemaVersion]: String(commandSchemaVersion),
          [recordHeaders.contentType]: jsonContentType,
          [recordHeaders.traceparent]: `00-${randomUUID().replaceAll('-', '')}-${randomUUID().replaceAll('-', '').slice(0, 16)}-01`,
        },
      },
    };
  });
  for (let start = 0; start < seeded.length; start += 5_000) {
    const chunk = seeded.slice(start, start + 5_000);
    await orm.em.fork().transactional(async (em) => {
      await runSql(
        em,
        `INSERT INTO messages (id, account_id, message_key, channel, recipient, sender, content, status, version)
         SELECT id, $2, key, channel, recipient, sender, content, 'accepted', 1
           FROM unnest($1::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
             AS v(id, key, channel, recipient, sender, content)`,
        [
          chunk.map((item) => item.messageId),
          accountId,
          chunk.map((item) => item.messageKey),
          chunk.map((item) => item.command.data.message.channel),
          chunk.map((item) => item.command.data.message.to),
          chunk.map((item) => item.command.data.message.from),
          chunk.map((item) => JSON.stringify(item.command.data.message)),
        ],
      );
      await appendToStreams(
        em,
        chunk.map((item) => ({
          streamId: item.messageId,
          expectedVersion: 0,
          events: [
            {
              type: 'MessageAccepted',
              data: {
                messageId: item.messageId,
                accountId,
                channel: item.command.data.message.channel,
                to: item.command.data.message.to,
                from: item.command.data.message.from,
                idempotencyKey: item.messageKey,
              },
            },
          ],
        })),
      );
    });
  }
  return seeded;
}

/** Produces the commands' records straight to the topic (as the relay would), in chunks. */
export async function produceCommands(
  producer: Producer,
  topic: string,
  records: readonly SeededCommand['record'][],
): Promise<void> {
  for (let start = 0; start < records.length; start += 2_000) {
    await producer.send({ topic, acks: -1, messages: records.slice(start, start + 2_000) });
  }
}

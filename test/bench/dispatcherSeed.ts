// Test data for the dispatcher's benchmark: accepted messages as the ingest API leaves them
// (a `messages` row and its v1 `MessageAccepted` event) and their commands as the relay
// publishes them.

import { randomBytes, randomUUID } from 'node:crypto';
import { appendToStreams } from '@exactly/message-store';
import { newId, type Orm, runSql } from '@exactly/persistence';
import type { Message, Producer } from 'kafkajs';

export interface BenchCommand {
  messageId: string;
  record: Message & { key: string; value: string };
}

export async function seedAccount(orm: Orm): Promise<string> {
  const accountId = newId('acc');
  await runSql(orm.em.fork(), 'INSERT INTO accounts (id, name) VALUES ($1, $2)', [accountId, 'bench']);
  return accountId;
}

/** Inserts `count` accepted email messages (rows and events, 5,000 per transaction) and returns their commands. */
export async function seedCommands(orm: Orm, accountId: string, count: number): Promise<BenchCommand[]> {
  const commands: BenchCommand[] = [];
  for (let start = 0; start < count; start += 5_000) {
    const chunk = Array.from({ length: Math.min(5_000, count - start) }, (_, index) => {
      const messageId = newId('msg');
      const messageKey = `bench-${start + index}-${randomUUID().slice(0, 8)}`;
      const message = {
        channel: 'email' as const,
        to: `user${start + index}@example.com`,
        from: 'billing@example.com',
        subject: 'Your invoice is ready',
        text: `Hello, your invoice ${randomBytes(8).toString('hex')} is attached. ${'Thank you for your business. '.repeat(6)}`,
        metadata: { campaign: 'invoices', locale: 'en-GB' },
      };
      const value = JSON.stringify({
        type: 'SendMessage',
        data: { messageId, accountId, message, acceptedAt: new Date().toISOString() },
        metadata: { schemaVersion: 1, idempotencyKey: messageKey, requestId: `req_${randomUUID()}` },
      });
      return {
        messageId,
        messageKey,
        message,
        record: {
          key: `${accountId}/${messageKey}`,
          value,
          headers: {
            'exactly-message-id': messageId,
            'exactly-account-id': accountId,
            'exactly-schema-version': '1',
            'content-type': 'application/json',
            traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
          },
        },
      };
    });
    await orm.em.fork().transactional(async (em) => {
      await runSql(
        em,
        `INSERT INTO messages (id, account_id, message_key, channel, recipient, sender, content, status, version)
         SELECT id, $2, key, 'email', recipient, sender, content, 'accepted', 1
           FROM unnest($1::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
             AS v(id, key, recipient, sender, content)`,
        [
          chunk.map((item) => item.messageId),
          accountId,
          chunk.map((item) => item.messageKey),
          chunk.map((item) => item.message.to),
          chunk.map((item) => item.message.from),
          chunk.map((item) => JSON.stringify(item.message)),
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
                channel: 'email',
                to: item.message.to,
                from: item.message.from,
                idempotencyKey: item.messageKey,
              },
            },
          ],
        })),
      );
    });
    commands.push(...chunk.map(({ messageId, record }) => ({ messageId, record })));
  }
  return commands;
}

/** Produces records in batches of 2,000 (acks from all in-sync replicas). */
export async function produce(producer: Producer, topic: string, records: readonly Message[]): Promise<void> {
  for (let start = 0; start < records.length; start += 2_000) {
    await producer.send({ topic, acks: -1, messages: records.slice(start, start + 2_000) });
  }
}

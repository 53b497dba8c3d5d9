// The dispatcher benchmark's peer: `pg-transactional-outbox` processing the same commands through
// its transactional inbox. Run as its own process by dispatcher.ts: DATABASE_URL, KAFKA_BROKERS,
// COMMANDS_TOPIC, EVENTS_TOPIC, CONSUMER_GROUP, PARTITIONS_CONCURRENTLY, INBOX_BATCH_SIZE,
// PEER_LISTENER (`replication`, the library's logical-replication listener, which needs a server
// with wal_level=logical; or `polling`), HANDLER_CONCURRENCY (replication: inbox messages
// handled at once, 10 like the polling listener's handler pool).
//
// The receiver (kafkajs, like the dispatcher) stores each Kafka batch in the library's inbox
// table with its `initializeMessageStorage` (one INSERT … ON CONFLICT DO NOTHING per message, all
// of a partition batch in one transaction), then commits the offsets. The library's listener
// (fed by logical replication of the inbox inserts, or polling) runs the handler in a
// transaction with the inbox row's completion: the same work as the dispatcher with the `log`
// provider (DispatchRequested, the send row, ProviderAccepted, the projection, the events'
// outbox rows). What it cannot do, and the report states: the send runs inside the inbox
// transaction (a slow or remote provider would hold a transaction open; there is no effect
// queue, no recovery with the same key), and a command is only deduplicated by the inbox row's id.

import { createKafka } from '@exactly/messaging';
import type { EachBatchPayload } from 'kafkajs';
import pg from 'pg';
import {
  createReplicationSemaphoreConcurrencyController,
  type DatabaseClient,
  DatabaseSetup,
  executeTransaction,
  type GeneralMessageHandler,
  getDefaultLogger,
  initializeMessageStorage,
  initializePollingMessageListener,
  initializeReplicationMessageListener,
  type PollingListenerConfig,
  type ReplicationListenerConfig,
} from 'pg-transactional-outbox';

const databaseUrl = process.env.DATABASE_URL as string;
const topic = process.env.COMMANDS_TOPIC as string;
const eventsTopic = process.env.EVENTS_TOPIC ?? `${topic}-events`;
const schema = 'peer';
const listener = process.env.PEER_LISTENER === 'replication' ? 'replication' : 'polling';
const publication = 'peer_inbox_publication';
const replicationSlot = 'peer_inbox_slot';

const setup = new pg.Client({ connectionString: databaseUrl });
await setup.connect();
const tableConfig = {
  outboxOrInbox: 'inbox' as const,
  database: new URL(databaseUrl).pathname.slice(1),
  schema,
  table: 'inbox',
  listenerRole: 'postgres',
  nextMessagesName: 'next_inbox_messages',
};
await setup.query(DatabaseSetup.dropAndCreateTable(tableConfig));
await setup.query(DatabaseSetup.createPollingFunction(tableConfig));
await setup.query(DatabaseSetup.setupPollingIndexes(tableConfig));
if (listener === 'replication') {
  await setup.query(DatabaseSetup.setupReplicationCore({ ...tableConfig, publication, replicationSlot }));
  // The library's slot script in two statements: the slot must be created in a transaction of its own.
  await setup.query(
    'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
    [replicationSlot],
  );
  await setup.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [replicationSlot]);
}
await setup.end();

const connection = { connectionString: databaseUrl };
const config: PollingListenerConfig = {
  outboxOrInbox: 'inbox',
  dbListenerConfig: connection,
  dbHandlerConfig: { ...connection, max: 10 } as pg.ClientConfig,
  settings: {
    dbSchema: schema,
    dbTable: 'inbox',
    enableMaxAttemptsProtection: true,
    enablePoisonousMessageProtection: true,
    nextMessagesFunctionName: 'next_inbox_messages',
    nextMessagesFunctionSchema: schema,
    nextMessagesBatchSize: Number(process.env.INBOX_BATCH_SIZE ?? 50),
    nextMessagesPollingIntervalInMs: 50,
    messageCleanupIntervalInMs: 0,
  },
};
// Warnings and errors only (a bench run should be quiet, a failure should say why).
const logger = getDefaultLogger('outbox-inbox-peer');
logger.level = process.env.LOG_LEVEL ?? 'warn';
const storeInboxMessage = initializeMessageStorage(config, logger);

interface CommandData {
  messageId: string;
  accountId: string;
  message: { channel: string; to: string };
}

async function appendEvent(
  client: DatabaseClient,
  streamId: string,
  accountId: string,
  version: number,
  type: string,
  data: Record<string, unknown>,
) {
  await client.query(
    'INSERT INTO message_events (stream_id, version, type, data, metadata) VALUES ($1, $2, $3, $4, $5)',
    [streamId, version, type, data, {}],
  );
  await client.query('INSERT INTO outbox (topic, kafka_key, payload, headers) VALUES ($1, $2, $3, $4)', [
    eventsTopic,
    streamId,
    { type, data, metadata: { streamId, version, accountId, at: new Date().toISOString() } },
    { 'exactly-message-id': streamId, 'exactly-account-id': accountId, 'exactly-schema-version': '1' },
  ]);
}

/** The dispatcher's work for one new command, in the inbox row's transaction. */
const handler: GeneralMessageHandler = {
  async handle(message, client) {
    const data = message.payload as CommandData;
    const { rows } = await client.query<{ version: number; account_id: string }>(
      'SELECT version, account_id FROM messages WHERE id = $1 FOR UPDATE',
      [data.messageId],
    );
    const row = rows[0];
    if (!row || row.account_id !== data.accountId) return; // never accepted: nothing to send
    await appendEvent(client, data.messageId, data.accountId, row.version + 1, 'DispatchRequested', {
      provider: 'log',
    });
    const sent = await client.query(
      `INSERT INTO log_provider_sends (provider_key, message_id, account_id, channel, recipient, attempt)
       VALUES ($1, $1, $2, $3, $4, 1) ON CONFLICT (provider_key, account_id) DO NOTHING`,
      [data.messageId, data.accountId, data.message.channel, data.message.to],
    );
    await appendEvent(client, data.messageId, data.accountId, row.version + 2, 'ProviderAccepted', {
      provider: 'log',
      attempt: 1,
      replayed: sent.rowCount === 0,
    });
    await client.query(
      "UPDATE messages SET status = 'sent', version = $2, updated_at = now() WHERE id = $1",
      [data.messageId, row.version + 2],
    );
  },
};

const replicationConfig: ReplicationListenerConfig = {
  outboxOrInbox: 'inbox',
  dbListenerConfig: connection,
  dbHandlerConfig: { ...connection, max: 10 } as pg.ClientConfig,
  settings: {
    dbSchema: schema,
    dbTable: 'inbox',
    dbPublication: publication,
    dbReplicationSlot: replicationSlot,
    enableMaxAttemptsProtection: true,
    enablePoisonousMessageProtection: true,
    messageCleanupIntervalInMs: 0,
  },
};
// Its default handles one message at a time (a mutex); the polling listener runs 10 at once.
const [stopListener] =
  listener === 'replication'
    ? initializeReplicationMessageListener(replicationConfig, handler, logger, {
        concurrencyStrategy: createReplicationSemaphoreConcurrencyController(
          Number(process.env.HANDLER_CONCURRENCY ?? 10),
        ),
      })
    : initializePollingMessageListener(config, handler, logger);

const pool = new pg.Pool({ ...connection, max: 4 });
const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '').split(','), clientId: 'bench-peer' });
const consumer = kafka.consumer({ groupId: process.env.CONSUMER_GROUP ?? 'bench-peer' });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  partitionsConsumedConcurrently: Number(process.env.PARTITIONS_CONCURRENTLY ?? 4),
  eachBatchAutoResolve: false,
  eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat }: EachBatchPayload) => {
    await executeTransaction(await pool.connect(), async (client) => {
      for (const record of batch.messages) {
        const value = JSON.parse(record.value?.toString('utf8') ?? '{}') as { data: CommandData };
        await storeInboxMessage(
          {
            id: value.data.messageId.slice(4),
            aggregateType: 'message',
            aggregateId: value.data.messageId,
            messageType: 'SendMessage',
            segment: value.data.messageId,
            concurrency: 'parallel',
            payload: value.data,
            createdAt: new Date().toISOString(),
          },
          client,
        );
      }
    });
    const last = batch.messages.at(-1);
    if (last) resolveOffset(last.offset);
    await commitOffsetsIfNecessary();
    await heartbeat();
  },
});
console.log(`outbox-inbox peer consuming (${listener} listener)`);

const stop = async () => {
  await consumer.disconnect();
  await stopListener();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

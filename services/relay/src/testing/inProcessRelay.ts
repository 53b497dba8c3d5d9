import { randomUUID } from 'node:crypto';
import { createKafka } from '@exactly/messaging';
import { createLogger, createMetricsRegistry } from '@exactly/observability';
import { outboxSessionSettings } from '@exactly/outbox';
import { type Orm, openOrm } from '@exactly/persistence';
import pg from 'pg';
import { readRelayConfig } from '../config.js';
import { createRelay, type Relay } from '../createRelay.js';

export const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');

/** Topic names of their own for one test, and the relay variables that name them. */
export function testTopics() {
  const base = `relay-test-${randomUUID()}`;
  const topics = {
    commands: `${base}.commands`,
    events: `${base}.events`,
    deadLetters: `${base}.dead-letters`,
  };
  return {
    ...topics,
    all: Object.values(topics),
    env: {
      COMMANDS_TOPIC: topics.commands,
      MESSAGE_EVENTS_TOPIC: topics.events,
      DEAD_LETTER_TOPIC: topics.deadLetters,
      RELAY_TOPIC_PARTITIONS: '3',
    },
  };
}

/** A relay in this process, as main.ts builds it, with the given variables. */
export async function startInProcessRelay(
  env: Record<string, string>,
): Promise<{ relay: Relay; orm: Orm; opsUrl: string; stop(): Promise<void> }> {
  const config = readRelayConfig({
    KAFKA_BROKERS: brokers.join(','),
    PORT: '0',
    RELAY_LEASE_TTL: '3s',
    LOG_LEVEL: 'warn',
    ...env,
  });
  const orm = await openOrm({
    databaseUrl: config.DATABASE_URL,
    poolSize: 4,
    sessionSettings: outboxSessionSettings,
  });
  const relay = createRelay({
    config,
    orm,
    newKafka: (socketFactory) =>
      createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'relay-test', socketFactory }),
    newListenClient: () => new pg.Client({ connectionString: config.DATABASE_URL }),
    logger: createLogger('relay-test', process.env.EXACTLY_TEST_LOGS === '1' ? 'info' : 'silent'),
    registry: createMetricsRegistry('relay'),
  });
  const { opsUrl } = await relay.start();
  return {
    relay,
    orm,
    opsUrl,
    async stop() {
      await relay.stop();
      await orm.close();
    },
  };
}
